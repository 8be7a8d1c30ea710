from . import roles as role_rules


def roles(request):
    """What the signed-in user may do, so templates render only usable controls."""
    user = getattr(request, "user", None)
    signed_in = user is not None and user.is_authenticated
    return {
        "can": {
            "view": signed_in and role_rules.can_view(user),
            "edit": signed_in and role_rules.can_edit(user),
            "review": signed_in and role_rules.can_review(user),
            "publish": signed_in and role_rules.can_publish(user),
            "rehearse": signed_in and role_rules.can_rehearse(user),
        }
    }
