"""The roll call's forms: a mark, a check-out, an incident."""

import datetime

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ccrcsr.fields import TickedRowsField
from enrollment.models import Child

from .models import Attendance, Incident

NOT_AUTHORISED = "other"


class MarkForm(forms.Form):
    """One tap on the roll call: a status, and for an absence its reason."""

    status = forms.ChoiceField(
        choices=Attendance.Status.choices,
        error_messages={"invalid_choice": _("That is not a roll-call status.")},
    )
    absence_reason = forms.ChoiceField(
        choices=[("", "")] + Attendance.AbsenceReason.choices,
        required=False,
        error_messages={"invalid_choice": _("That is not a reason for an absence.")},
    )

    @property
    def needs_reason(self) -> bool:
        """Absent was tapped without a reason yet: ask for it, save nothing."""
        return (
            self.is_valid()
            and self.cleaned_data["status"] == Attendance.Status.ABSENT
            and not self.cleaned_data["absence_reason"]
        )


class CheckOutForm(forms.Form):
    """Who picks the child up: only a guardian or an authorised pickup person."""

    picked_up_by = forms.ChoiceField(label=_("Picked up by"))

    def __init__(self, *args, child: Child, **kwargs):
        super().__init__(*args, **kwargs)
        people = [g.worker.name for g in child.guardianships.select_related("worker")]
        people += [p.name for p in child.pickups.all()]
        self.authorised = people
        self.fields["picked_up_by"].choices = (
            [("", _("Choose who is picking up…"))]
            + [(name, name) for name in people]
            + [(NOT_AUTHORISED, _("Someone else (not on the list)"))]
        )
        self.fields["picked_up_by"].error_messages["invalid_choice"] = _(
            "That person is not on this child's pickup list."
        )

    def clean_picked_up_by(self) -> str:
        name = self.cleaned_data["picked_up_by"]
        if name == NOT_AUTHORISED:
            raise forms.ValidationError(
                _(
                    "Only the child's guardians and authorised pickup people may take them. "
                    "Keep the child here and call a guardian; only HR can add a pickup person."
                ),
                code="not_authorised",
            )
        return name


class IncidentForm(forms.ModelForm):
    description = forms.CharField(
        label=_("what happened"), max_length=5000, widget=forms.Textarea(attrs={"rows": 3})
    )
    action_taken = forms.CharField(
        label=_("what was done"),
        max_length=5000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    class Meta:
        model = Incident
        fields = [
            "children",
            "occurred_at",
            "kind",
            "severity",
            "description",
            "action_taken",
            "guardian_informed_at",
        ]
        field_classes = {"children": TickedRowsField}
        widgets = {
            "children": forms.CheckboxSelectMultiple,
            "occurred_at": forms.DateTimeInput(
                attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"
            ),
            "guardian_informed_at": forms.DateTimeInput(
                attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"
            ),
        }
        help_texts = {
            "guardian_informed_at": _("Leave empty if the guardian has not been told yet.")
        }

    def __init__(self, *args, children, season, **kwargs):
        super().__init__(*args, **kwargs)
        self.season = season
        self.fields["children"].queryset = children
        self.fields["children"].label_from_instance = lambda child: child.name

    def clean_occurred_at(self) -> datetime.datetime:
        occurred_at = self.cleaned_data["occurred_at"]
        if occurred_at > timezone.now() + datetime.timedelta(minutes=5):
            raise forms.ValidationError(_("An incident cannot be in the future."))
        if timezone.localdate(occurred_at) < self.season.start_date:
            raise forms.ValidationError(_("This is before the season started."))
        return occurred_at

    def clean(self):
        cleaned = super().clean()
        told, occurred = cleaned.get("guardian_informed_at"), cleaned.get("occurred_at")
        if told and occurred and told < occurred:
            self.add_error(
                "guardian_informed_at", _("The guardian cannot be told before it happened.")
            )
        if told and told > timezone.now() + datetime.timedelta(minutes=5):
            self.add_error("guardian_informed_at", _("This time is in the future."))
        return cleaned
