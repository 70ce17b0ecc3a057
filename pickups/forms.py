from django import forms
from django.utils.translation import gettext_lazy as _


class CallForm(forms.Form):
    """A call to the family, in two taps: whom (a number on record), answered or not."""

    number = forms.ChoiceField(label=_("Who was called"))
    answered = forms.TypedChoiceField(
        choices=[("1", _("Answered")), ("0", _("No answer"))], coerce=lambda v: v == "1"
    )

    def __init__(self, *args, people: list[tuple[str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.people = {phone: name for name, phone in people}
        self.fields["number"].choices = [(phone, f"{name} {phone}") for name, phone in people]

    def called(self) -> str:
        return self.people[self.cleaned_data["number"]]


class BarredForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    note = forms.CharField(
        label=_("Why, and what the teacher should do"), max_length=300, required=False
    )

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        if not name:
            raise forms.ValidationError(_("Write the person's name."))
        return name
