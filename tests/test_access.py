"""Login is required everywhere; the roles allow what their names say.

The URL walk visits every route the resolver knows (including routes added
later by other screens), so a new view cannot forget the login requirement.
"""

import uuid

import pytest
from django.contrib.auth.models import Group
from django.urls import NoReverseMatch, URLPattern, URLResolver, get_resolver, reverse
from django.urls.converters import IntConverter, PathConverter, SlugConverter, StringConverter, UUIDConverter

from orchestrator import roles
from tests.factories import make_user

PUBLIC = {"login", "healthz", "admin:login"}
SAMPLES = {
    IntConverter: 1,
    StringConverter: "ORCH-X",
    SlugConverter: "x",
    PathConverter: "x/y",
    UUIDConverter: uuid.UUID(int=1),
}


def _walk(resolver: URLResolver, namespace: str = ""):
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            ns = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _walk(entry, ns)
        elif isinstance(entry, URLPattern) and entry.name:
            converters = getattr(entry.pattern, "converters", {})
            kwargs = {name: SAMPLES.get(type(conv), "x") for name, conv in converters.items()}
            yield f"{namespace}{entry.name}", kwargs


def _routes():
    routes = []
    for name, kwargs in _walk(get_resolver()):
        try:
            routes.append((name, reverse(name, kwargs=kwargs)))
        except NoReverseMatch:  # regex routes of contrib apps need real arguments
            continue
    return sorted(set(routes))


ROUTES = _routes()


def test_the_walk_finds_our_routes():
    names = {name for name, _ in ROUTES}
    assert {"orchestration_list", "login", "healthz", "admin:index"} <= names
    assert len(ROUTES) > 20


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "url"), [r for r in ROUTES if r[0] not in PUBLIC])
@pytest.mark.parametrize("method", ["get", "post"])
def test_every_route_refuses_anonymous_users(client, name, url, method):
    response = getattr(client, method)(url)
    assert response.status_code in (302, 403, 405), (name, url, response.status_code)
    if response.status_code == 302:
        logins = (reverse("login"), reverse("admin:login"))
        assert response["Location"].startswith(logins), (name, response["Location"])


@pytest.mark.django_db
def test_public_routes_answer_without_login(client):
    assert client.get(reverse("login")).status_code == 200
    assert client.get(reverse("healthz")).status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("role", "view", "edit", "review", "publish"),
    [
        (roles.VIEWER, True, False, False, False),
        (roles.DESIGNER, True, True, False, False),
        (roles.REVIEWER, True, False, True, False),
        (roles.PUBLISHER, True, False, False, True),
    ],
)
def test_role_permissions(role, view, edit, review, publish):
    user = make_user(role)
    assert roles.can_view(user) is view
    assert roles.can_edit(user) is edit
    assert user.has_perm("orchestrator.add_step") is edit
    assert user.has_perm("orchestrator.delete_stage") is edit
    assert roles.can_review(user) is review
    assert roles.can_publish(user) is publish


@pytest.mark.django_db
def test_superuser_may_do_everything():
    admin = make_user(superuser=True, username="boss")
    assert all(f(admin) for f in (roles.can_view, roles.can_edit, roles.can_review, roles.can_publish))


@pytest.mark.django_db
def test_a_user_without_a_role_sees_nothing(client):
    client.force_login(make_user(None))
    assert client.get(reverse("orchestration_list")).status_code == 403


@pytest.mark.django_db
def test_migration_created_the_four_groups():
    assert set(Group.objects.values_list("name", flat=True)) >= set(roles.ROLES)
    for role, codenames in roles.ROLE_PERMISSIONS.items():
        held = set(Group.objects.get(name=role).permissions.values_list("codename", flat=True))
        assert held == set(codenames)


@pytest.mark.django_db
def test_repeated_failed_logins_lock_out(client, settings):
    user = make_user(roles.DESIGNER)
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("login"), {"username": user.username, "password": "wrong"})
    # Even the right password is refused while locked out.
    response = client.post(reverse("login"), {"username": user.username, "password": "pw-for-tests-only"})
    assert response.status_code == 429
    assert b"Too many failed logins" in response.content
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_login_with_the_right_password_works(client):
    user = make_user(roles.VIEWER)
    response = client.post(reverse("login"), {"username": user.username, "password": "pw-for-tests-only"})
    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    assert client.session["_auth_user_id"] == str(user.pk)


@pytest.mark.django_db
def test_admin_lists_every_model(admin_user, client):
    from django.apps import apps
    from django.contrib import admin

    client.force_login(admin_user)
    for model in apps.get_app_config("orchestrator").get_models():
        assert admin.site.is_registered(model), model
        url = reverse(f"admin:orchestrator_{model._meta.model_name}_changelist")
        assert client.get(url).status_code == 200, url
