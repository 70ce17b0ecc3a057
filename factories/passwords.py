"""Password rules on top of Django's validators (settings.AUTH_PASSWORD_VALIDATORS)."""

import re

from django.contrib.auth import password_validation
from django.core.exceptions import FieldDoesNotExist, ValidationError

# Parts shorter than this ("hr", "com" of an email) are too common to forbid.
MIN_PART = 4


class UserAttributeSimilarityValidator(password_validation.UserAttributeSimilarityValidator):
    """Django's similarity check, and no password that contains the username, the
    display name or a part of the email address.

    Django's check compares whole strings by ratio: "admin12345678" is only 0.56
    like "admin", under its 0.7, and was accepted for the admin account.
    """

    DEFAULT_USER_ATTRIBUTES = ("username", "display_name", "first_name", "last_name", "email")

    def __init__(self, user_attributes=DEFAULT_USER_ATTRIBUTES, max_similarity=0.7):
        super().__init__(user_attributes, max_similarity)

    def validate(self, password, user=None):
        super().validate(password, user)
        if not user:
            return
        lowered = password.lower()
        for attribute in self.user_attributes:
            value = getattr(user, attribute, None)
            if not value or not isinstance(value, str):
                continue
            parts = {value.lower(), *re.split(r"\W+", value.lower())}
            if any(len(part) >= MIN_PART and part in lowered for part in parts):
                try:
                    verbose_name = str(user._meta.get_field(attribute).verbose_name)
                except FieldDoesNotExist:
                    verbose_name = attribute
                raise ValidationError(
                    self.get_error_message(),
                    code="password_too_similar",
                    params={"verbose_name": verbose_name},
                )
