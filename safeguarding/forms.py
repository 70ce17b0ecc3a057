from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import Concern, FollowUp, RecordCheck, Referral, TrainingRecord

DATE = forms.DateInput(attrs={"type": "date"})


def not_in_future(day):
    if day > timezone.localdate():
        raise forms.ValidationError(_("This date has not come yet."))
    return day


class SignForm(forms.Form):
    typed_name = forms.CharField(label=_("Type your full name to sign"), max_length=100, strip=True)

    def __init__(self, *args, teacher, **kwargs):
        super().__init__(*args, **kwargs)
        self.teacher = teacher

    def clean_typed_name(self):
        typed = " ".join(self.cleaned_data["typed_name"].split())
        if typed.replace(" ", "") != self.teacher.name.replace(" ", ""):
            raise forms.ValidationError(
                _("Type your name as it is on the teacher directory: %(name)s.")
                % {"name": self.teacher.name}
            )
        return typed


class TrainingForm(forms.ModelForm):
    class Meta:
        model = TrainingRecord
        fields = ["course", "completed_on", "trainer"]
        widgets = {"completed_on": DATE}

    def clean_completed_on(self):
        return not_in_future(self.cleaned_data["completed_on"])


class RecordCheckForm(forms.ModelForm):
    class Meta:
        model = RecordCheck
        fields = ["checked_on", "checked_by", "result", "reference"]
        widgets = {"checked_on": DATE, "result": forms.RadioSelect}
        help_texts = {
            "reference": _("Only the result and its reference: never what a record says."),
        }

    def clean_checked_on(self):
        return not_in_future(self.cleaned_data["checked_on"])


class ConcernForm(forms.ModelForm):
    """Three taps and a few words: what kind, what was seen, when."""

    class Meta:
        model = Concern
        fields = ["category", "what", "when", "immediate_danger"]
        widgets = {
            "category": forms.RadioSelect,
            "when": forms.RadioSelect,
            "what": forms.Textarea(attrs={"rows": 3}),
        }
        labels = {"immediate_danger": _("The child is in immediate danger")}

    client_key = forms.UUIDField(required=False, widget=forms.HiddenInput)
    shown_emergency = forms.BooleanField(required=False, widget=forms.HiddenInput)


class ReferralForm(forms.ModelForm):
    class Meta:
        model = Referral
        fields = ["to", "on", "consent", "why_not_sought", "notes"]
        widgets = {"on": DATE, "notes": forms.Textarea(attrs={"rows": 2})}

    def clean_on(self):
        return not_in_future(self.cleaned_data["on"])

    def clean(self):
        data = super().clean()
        if data.get("consent") == Referral.Consent.NOT_SOUGHT and not data.get("why_not_sought"):
            self.add_error("why_not_sought", _("Say why the guardian's consent was not sought."))
        return data


class FollowUpForm(forms.ModelForm):
    class Meta:
        model = FollowUp
        fields = ["on", "note"]
        widgets = {"on": DATE, "note": forms.Textarea(attrs={"rows": 2})}

    def clean_on(self):
        return not_in_future(self.cleaned_data["on"])


class CloseForm(forms.Form):
    outcome = forms.CharField(
        label=_("Outcome"), widget=forms.Textarea(attrs={"rows": 2}), max_length=2000
    )
