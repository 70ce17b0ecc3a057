"""The roll call's forms: a mark, a check-out, an incident."""

import datetime

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ccrcsr.fields import TickedRowsField

from .models import Attendance, Incident
from .services import BadTap, CheckOut, Mark

NOT_AUTHORISED = "other"


class TapFields(forms.Form):
    """What a phone adds to every tap (roll_call.js), online or queued offline:
    its id for the tap (applied once), the version of the record the teacher
    saw (a change made since is a conflict) and when the tap was made. A plain
    form post without them is a tap made now, as before."""

    op_id = forms.UUIDField(required=False)
    seen = forms.RegexField(regex=r"^\d{1,20}$", required=False)
    tapped_at = forms.IntegerField(required=False, min_value=0, max_value=10**14)
    resolution = forms.ChoiceField(
        choices=[("", ""), ("mine", "mine"), ("theirs", "theirs")], required=False
    )

    # A phone's clock may run a little fast; more than this is the future.
    CLOCK_SKEW = datetime.timedelta(minutes=5)

    def clean_tapped_at(self) -> datetime.datetime | None:
        ms = self.cleaned_data["tapped_at"]
        if ms is None:
            return None
        tapped_at = datetime.datetime.fromtimestamp(ms / 1000, tz=datetime.UTC)
        now = timezone.now()
        if tapped_at > now + self.CLOCK_SKEW:
            raise forms.ValidationError(
                _("This tap claims a time in the future: check the phone's clock.")
            )
        window = datetime.timedelta(days=settings.ROLL_CALL_TEACHER_DAYS_BACK + 1)
        if tapped_at < now - window:
            raise forms.ValidationError(
                _("This tap is older than the days a roll call can be corrected.")
            )
        return tapped_at

    def clean_seen(self) -> str | None:
        return self.cleaned_data["seen"] or None

    def _tap_fields(self) -> dict:
        return {field: self.cleaned_data[field] for field in TapFields.base_fields}

    def error_text(self) -> str:
        return " ".join(e for errors in self.errors.values() for e in errors)

    def _bad_tap(self, kind: str) -> BadTap:
        return BadTap(kind, self.error_text())


class MarkForm(TapFields):
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

    def tap(self) -> Mark | BadTap:
        """The tap as the service takes it, or what the form refused in it."""
        if not self.is_valid():
            return self._bad_tap(Mark.kind)
        data = self.cleaned_data
        return Mark(
            status=data["status"], absence_reason=data["absence_reason"], **self._tap_fields()
        )


class CheckOutForm(TapFields):
    """Who picks the child up: only a guardian or an authorised pickup person."""

    picked_up_by = forms.ChoiceField(label=_("Picked up by"))

    def __init__(self, *args, people: list[dict], day: datetime.date | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.day = day
        self.people = people
        people = [person["name"] for person in people]
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

    def clean(self):
        cleaned = super().clean()
        if self.day is not None and not self.errors:
            tapped_at = cleaned.get("tapped_at")
            today = timezone.localdate()
            if self.day != today and not (tapped_at and timezone.localdate(tapped_at) == self.day):
                raise forms.ValidationError(
                    _("Children can only be checked out on the day itself.")
                )
        return cleaned

    def tap(self) -> CheckOut | BadTap:
        """The tap as the service takes it, or what the form refused in it: the
        non-field errors (the field's own are shown beside the list)."""
        if not self.is_valid():
            return BadTap(CheckOut.kind, " ".join(self.non_field_errors()))
        return CheckOut(picked_up_by=self.cleaned_data["picked_up_by"], **self._tap_fields())


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
