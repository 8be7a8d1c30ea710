"""The four roles and what each may do.

Groups are created by a data migration from ROLE_PERMISSIONS; views ask the
helpers below instead of naming permissions, so a role's meaning lives here.
Superusers may do everything.
"""

DRAFT_MODELS = ("orchestration", "stage", "stageobjective", "step", "steptask", "stepobjectiveassociation")

VIEWER, DESIGNER, REVIEWER, PUBLISHER = "Viewer", "Designer", "Reviewer", "Publisher"
ROLES = (VIEWER, DESIGNER, REVIEWER, PUBLISHER)

_VIEW = tuple(f"view_{m}" for m in DRAFT_MODELS)
_EDIT = tuple(f"{action}_{m}" for m in DRAFT_MODELS for action in ("add", "change", "delete"))
# Publish runs, their stages and journal, and runs against the other remotes
# (an Outreach sync): what was sent and what the remote answered. Everyone who
# works on a playbook may read them; viewers only read the playbook itself.
PUBLISH_MODELS = ("publishrun", "publishstage", "journalentry", "publishedstage", "remoterun", "outreachstagelink")
_VIEW_PUBLISH = tuple(f"view_{m}" for m in PUBLISH_MODELS)
# Review: everyone reads comments, approvals and the history of revisions; those who
# work on a playbook comment (and resolve comments); only reviewers approve or request
# changes (`review_orchestration`, with add_approval). Restoring a revision is an edit.
_VIEW_REVIEW = ("view_reviewcomment", "view_approval", "view_revision")
_COMMENT = ("add_reviewcomment",)

# Codenames within the orchestrator app.
ROLE_PERMISSIONS: dict[str, tuple[str, ...]] = {
    VIEWER: _VIEW + _VIEW_REVIEW,
    DESIGNER: _VIEW + _EDIT + _VIEW_PUBLISH + _VIEW_REVIEW + _COMMENT,
    REVIEWER: (*_VIEW, "review_orchestration", *_VIEW_PUBLISH, *_VIEW_REVIEW, *_COMMENT, "add_approval"),
    PUBLISHER: (*_VIEW, "publish_orchestration", *_VIEW_PUBLISH, *_VIEW_REVIEW, *_COMMENT),
}


def can_view(user) -> bool:
    return user.is_authenticated and user.has_perm("orchestrator.view_orchestration")


def can_edit(user) -> bool:
    return user.is_authenticated and user.has_perm("orchestrator.change_orchestration")


def can_review(user) -> bool:
    return user.is_authenticated and user.has_perm("orchestrator.review_orchestration")


def can_comment(user) -> bool:
    return user.is_authenticated and user.has_perm("orchestrator.add_reviewcomment")


def can_publish(user) -> bool:
    return user.is_authenticated and user.has_perm("orchestrator.publish_orchestration")


def can_rehearse(user) -> bool:
    """Reviewers and Publishers rehearse a stage on a test record (and clean up after)."""
    return can_review(user) or can_publish(user)


def _model_of(codename: str) -> str:
    """The model a default permission codename is about ("view_publishrun" → "publishrun"), else ""."""
    action, _, model = codename.partition("_")
    return model if action in ("add", "change", "delete", "view") else ""


def sync_role_groups(apps=None) -> None:
    """Make the four groups hold exactly ROLE_PERMISSIONS (run by data migrations).

    Called by every migration that adds models or permissions, with the
    historical app registry, so a fresh database and an upgraded one agree.
    """
    from django.apps import apps as global_apps
    from django.contrib.auth.management import create_permissions

    apps = apps or global_apps

    # Permissions are normally created after all migrations ran; make them now
    # so the groups can hold them on a fresh database.
    for app_config in apps.get_app_configs():
        original = getattr(app_config, "models_module", None)
        app_config.models_module = original or True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = original
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    # An early migration runs with an older model registry: permissions of
    # models that do not exist yet are granted by the migration adding them.
    existing_models = {model._meta.model_name for model in apps.get_app_config("orchestrator").get_models()}
    for role, all_codenames in ROLE_PERMISSIONS.items():
        codenames = tuple(c for c in all_codenames if not _model_of(c) or _model_of(c) in existing_models)
        group, _ = Group.objects.get_or_create(name=role)
        perms = list(Permission.objects.filter(content_type__app_label="orchestrator", codename__in=codenames))
        missing = set(codenames) - {p.codename for p in perms}
        if missing:
            raise RuntimeError(f"permissions missing for {role}: {sorted(missing)}")
        group.permissions.set(perms)
