from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm, UsernameField
from django.utils.translation import gettext_lazy as _

from ccrcsr.fields import EMPLOYEE_NUMBER, clean_phone, clean_plain, normalise_employee_number

from .models import Worker

# Our usernames are at most 150 characters (Django's field); a longer one must
# be refused before authenticate(): django-axes stores it in a 255-character
# column, and PostgreSQL answers a longer one with an error (a 500).
USERNAME_MAX_LENGTH = 150


class LoginForm(AuthenticationForm):
    username = UsernameField(
        max_length=USERNAME_MAX_LENGTH,
        widget=forms.TextInput(attrs={"autofocus": True}),
        error_messages={"max_length": _("A username has at most %(limit_value)d characters.")},
    )
    error_messages = {
        "invalid_login": _(
            "That username and password do not match. Check them and try again; "
            "passwords are case-sensitive."
        ),
        "inactive": _("This account is switched off. Ask your programme coordinator."),
    }


class LanguageForm(forms.Form):
    language = forms.ChoiceField(choices=settings.LANGUAGES)
    next = forms.CharField(required=False)


class WorkerForm(forms.ModelForm):
    class Meta:
        model = Worker
        fields = ["employee_number", "name", "department", "shift", "phone", "home_province"]

    def __init__(self, *args, factory, **kwargs):
        super().__init__(*args, **kwargs)
        self.factory = factory

    def clean_employee_number(self) -> str:
        number = normalise_employee_number(self.cleaned_data["employee_number"])
        if not EMPLOYEE_NUMBER.match(number):
            raise forms.ValidationError(_("Use the letters and digits on the work badge."))
        if Worker.objects.filter(factory=self.factory, employee_number=number).exists():
            raise forms.ValidationError(_("A worker with this employee number is registered."))
        return number

    def clean_name(self) -> str:
        return clean_plain(self.cleaned_data["name"])

    def clean_phone(self) -> str:
        phone = self.cleaned_data["phone"]
        return clean_phone(phone) if phone else ""
