"""Invitations: a new login has no password until its owner sets one through a
link made with Django's password-reset tokens (it works once, and stops
working after PASSWORD_RESET_TIMEOUT)."""

from django.contrib.auth.tokens import default_token_generator
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from .models import Membership, User


def invitation_path(user: User) -> str:
    return reverse(
        "factories:invitation",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": default_token_generator.make_token(user),
        },
    )


def revoke_role(user: User, factory_id: int, role: str) -> None:
    """Take `role` at the factory away from `user`, and with it whatever an earlier
    invitation or session still grants.

    The role's membership goes (other roles the user holds stay). A login that
    never set its password gets a fresh unusable one: the invitation tokens
    hash the password, so every link handed out before stops working. A login
    left with no role anywhere is deactivated, which ends its sessions at
    their next request (Django's backend refuses inactive users)."""
    Membership.objects.filter(user=user, factory_id=factory_id, role=role).delete()
    fields = []
    if not user.has_usable_password():
        user.set_unusable_password()
        fields.append("password")
    if not (user.is_superuser or user.is_staff or user.memberships.exists()):
        user.is_active = False
        fields.append("is_active")
    if fields:
        user.save(update_fields=fields)
