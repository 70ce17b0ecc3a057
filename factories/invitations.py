"""Invitations: a new login has no password until its owner sets one through a
link made with Django's password-reset tokens (it works once, and stops
working after PASSWORD_RESET_TIMEOUT)."""

from django.contrib.auth.tokens import default_token_generator
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from .models import User


def invitation_path(user: User) -> str:
    return reverse(
        "factories:invitation",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": default_token_generator.make_token(user),
        },
    )
