from django import forms
from django.utils.translation import gettext_lazy as _

from factories.models import User

from .outbox import KINDS


class AccountForm(forms.ModelForm):
    """Language and the emails a user wants; the checkboxes are the kinds kept ON."""

    emails = forms.MultipleChoiceField(
        label=_("Emails I receive"), required=False, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = User
        fields = ["display_name", "email", "language"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["emails"].choices = list(KINDS.items())
        off = set(self.instance.notifications_off or [])
        self.fields["emails"].initial = [kind for kind in KINDS if kind not in off]

    def save(self, commit=True):
        self.instance.notifications_off = [
            kind for kind in KINDS if kind not in self.cleaned_data["emails"]
        ]
        return super().save(commit)
