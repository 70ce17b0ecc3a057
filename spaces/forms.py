import datetime
import math

from django import forms
from django.conf import settings
from django.db import transaction
from django.forms import BaseInlineFormSet, inlineformset_factory
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ccrcsr.fields import TickedRowsField, clean_phone
from enrollment.models import Child, Enrollment
from factories.models import User

from .models import (
    ISO_WEEKDAYS,
    M2_PER_CHILD,
    ActivitySlot,
    Attendance,
    ClosedDay,
    ConductPolicy,
    Group,
    Incident,
    RatioRule,
    SafetyCheck,
    Season,
    Space,
    Teacher,
    join_list,
    weekday_names,
)
from .services import assignment_conflicts

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
TIME_WIDGET = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
RATIO_TOO_LOW = _("A ratio must allow at least one child per teacher.")

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


# --- season set-up -------------------------------------------------------------


def not_in_future(day: datetime.date | None) -> datetime.date | None:
    if day and day > timezone.localdate():
        raise forms.ValidationError(_("This date is in the future."))
    return day


def season_dates_problem(start: datetime.date, end: datetime.date) -> tuple[str, str] | None:
    """(field, message) when a season's dates are out of order or implausible.

    A season is a holiday programme: at most a year long, this century. The
    bounds also keep date arithmetic (a year before the start) and the
    day-by-day opening calendar safe from typing slips like 0202 or 20266.
    """
    if end < start:
        return "end_date", _("The season cannot end before it starts.")
    if not (2000 <= start.year and end.year <= 2100):
        return "start_date", _("Choose dates between 2000 and 2100.")
    if (end - start).days > 366:
        return "end_date", _("A season lasts at most a year.")
    return None


class WeekdaysField(forms.MultipleChoiceField):
    """Weekdays as checkboxes, stored as ISO digits in one string ("12345")."""

    widget = forms.CheckboxSelectMultiple

    def __init__(self, **kwargs):
        kwargs.setdefault("error_messages", {"required": _("Tick at least one day.")})
        super().__init__(choices=ISO_WEEKDAYS, **kwargs)

    def prepare_value(self, value):
        return list(value) if isinstance(value, str) else value

    def clean(self, value) -> str:
        return "".join(sorted(set(super().clean(value))))


class LanguagesField(forms.MultipleChoiceField):
    """Languages as checkboxes, stored as codes joined by commas ("zh-hans,en")."""

    widget = forms.CheckboxSelectMultiple

    def __init__(self, **kwargs):
        kwargs.setdefault("error_messages", {"required": _("Tick at least one language.")})
        super().__init__(choices=settings.LANGUAGES, **kwargs)

    def prepare_value(self, value):
        return value.split(",") if isinstance(value, str) else value

    def clean(self, value) -> str:
        chosen = set(super().clean(value))
        return ",".join(code for code, _name in settings.LANGUAGES if code in chosen)


class SeasonForm(forms.ModelForm):
    opening_weekdays = WeekdaysField(label=_("opening weekdays"))
    document_languages = LanguagesField(label=_("languages of its documents"))
    children_per_teacher = forms.IntegerField(
        label=_("Children per teacher, for ages no rule below covers"),
        min_value=1,
        max_value=100,
        error_messages={"min_value": RATIO_TOO_LOW},
    )

    class Meta:
        model = Season
        fields = [
            "name", "start_date", "end_date", "opening_weekdays", "opens_at", "closes_at",
            "capacity", "min_age", "max_age", "enrollment_deadline", "children_per_teacher",
            "document_languages",
        ]  # fmt: skip
        labels = {"name": _("season name")}
        widgets = {
            "start_date": DATE_WIDGET,
            "end_date": DATE_WIDGET,
            "enrollment_deadline": DATE_WIDGET,
            "opens_at": TIME_WIDGET,
            "closes_at": TIME_WIDGET,
        }

    def __init__(self, *args, factory, **kwargs):
        super().__init__(*args, **kwargs)
        self.factory = factory

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        taken = Season.objects.filter(factory=self.factory, name=name).exclude(pk=self.instance.pk)
        if taken.exists():
            raise forms.ValidationError(_("This factory already has a season with this name."))
        return name

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start_date"), cleaned.get("end_date")
        problem = season_dates_problem(start, end) if start and end else None
        if problem:
            self.add_error(*problem)
        opens, closes = cleaned.get("opens_at"), cleaned.get("closes_at")
        if opens and closes and closes <= opens:
            self.add_error("closes_at", _("The space must close after it opens."))
        low, high = cleaned.get("min_age"), cleaned.get("max_age")
        if low is not None and high is not None and high < low:
            self.add_error("max_age", _("The maximum age cannot be below the minimum age."))
        deadline = cleaned.get("enrollment_deadline")
        if deadline and end and deadline > end:
            self.add_error(
                "enrollment_deadline", _("The deadline cannot be after the season ends.")
            )
        return cleaned


class ClosedDayForm(forms.ModelForm):
    class Meta:
        model = ClosedDay
        fields = ["date", "reason"]
        widgets = {"date": DATE_WIDGET}


class BaseClosedDayFormSet(BaseInlineFormSet):
    # Set by SeasonSetupForms once the season form has valid dates.
    season_dates: tuple[datetime.date, datetime.date] | None = None

    def clean(self):
        super().clean()
        if self.season_dates is None:
            return
        start, end = self.season_dates
        for form in self.forms:
            day = getattr(form, "cleaned_data", {}).get("date")
            if day and not self._should_delete_form(form) and not start <= day <= end:
                form.add_error(
                    "date",
                    _("%(day)s is outside the season (%(start)s to %(end)s).")
                    % {"day": day, "start": start, "end": end},
                )


ClosedDayFormSet = inlineformset_factory(
    Season, ClosedDay, form=ClosedDayForm, formset=BaseClosedDayFormSet, extra=2, can_delete=True
)


class RatioRuleForm(forms.ModelForm):
    children_per_teacher = forms.IntegerField(
        label=_("children per teacher (maximum)"),
        min_value=1,
        max_value=100,
        error_messages={"min_value": RATIO_TOO_LOW},
    )

    class Meta:
        model = RatioRule
        fields = ["min_age", "max_age", "children_per_teacher"]

    def has_changed(self) -> bool:
        # The defaults shown on a new season are saved even if left as they are.
        return (self.instance.pk is None and bool(self.initial)) or super().has_changed()

    def clean(self):
        cleaned = super().clean()
        low, high = cleaned.get("min_age"), cleaned.get("max_age")
        if low is not None and high is not None and high < low:
            self.add_error("max_age", _("The maximum age cannot be below the minimum age."))
        return cleaned


class BaseRatioRuleFormSet(BaseInlineFormSet):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.initial_extra:
            self.extra = len(self.initial_extra) + 1

    def clean(self):
        super().clean()
        bands = []
        for form in self.forms:
            data = getattr(form, "cleaned_data", {})
            if data.get("min_age") is None or data.get("max_age") is None:
                continue
            if self._should_delete_form(form):
                continue
            bands.append((data["min_age"], data["max_age"]))
        bands.sort()
        for (_low, high), (next_low, _next_high) in zip(bands, bands[1:], strict=False):
            if next_low <= high:
                raise forms.ValidationError(
                    _("Two ratio rules cover age %(age)d; give each age one rule.")
                    % {"age": next_low}
                )


RatioRuleFormSet = inlineformset_factory(
    Season, RatioRule, form=RatioRuleForm, formset=BaseRatioRuleFormSet, extra=1, can_delete=True
)


class SeasonSetupForms:
    """The season form with its closed days and ratio rules: one page, one save."""

    def __init__(self, data=None, *, factory, instance: Season | None = None):
        new = instance is None
        instance = instance or Season(factory=factory)
        self.season = SeasonForm(data, factory=factory, instance=instance)
        self.closed_days = ClosedDayFormSet(data, instance=instance, prefix="closed")
        defaults = [
            {"min_age": low, "max_age": high, "children_per_teacher": n}
            for low, high, n in RatioRule.DEFAULTS
        ]
        self.rules = RatioRuleFormSet(
            data, instance=instance, prefix="rules", initial=defaults if new else None
        )

    def is_valid(self) -> bool:
        season_valid = self.season.is_valid()
        if season_valid:
            data = self.season.cleaned_data
            self.closed_days.season_dates = (data["start_date"], data["end_date"])
        return all([season_valid, self.closed_days.is_valid(), self.rules.is_valid()])

    def save(self) -> Season:
        with transaction.atomic():
            season = self.season.save()
            for formset in (self.closed_days, self.rules):
                formset.instance = season
                formset.save()
        return season


class RolloverForm(forms.Form):
    """A new season copied from an old one: new name and dates, and who comes back."""

    name = forms.CharField(label=_("season name"), max_length=100)
    start_date = forms.DateField(label=_("start date"), widget=DATE_WIDGET)
    end_date = forms.DateField(label=_("end date"), widget=DATE_WIDGET)
    enrollment_deadline = forms.DateField(
        label=_("enrollment deadline"), widget=DATE_WIDGET, required=False
    )
    returning = TickedRowsField(
        label=_("Teachers coming back"),
        queryset=Teacher.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("They keep their groups and working days. The others are not copied."),
    )

    def __init__(self, *args, source: Season, **kwargs):
        super().__init__(*args, **kwargs)
        self.source = source
        self.fields["returning"].queryset = Teacher.objects.filter(
            pk__in=source.assignments.values("teacher_id")
        ).order_by("name")

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        if Season.objects.filter(factory_id=self.source.factory_id, name=name).exists():
            raise forms.ValidationError(_("This factory already has a season with this name."))
        return name

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start_date"), cleaned.get("end_date")
        problem = season_dates_problem(start, end) if start and end else None
        if problem:
            self.add_error(*problem)
        elif start and start <= self.source.end_date:
            self.add_error(
                "start_date",
                _("The new season must start after %(day)s, when the one it copies ends.")
                % {"day": self.source.end_date},
            )
        deadline = cleaned.get("enrollment_deadline")
        if deadline and end and deadline > end:
            self.add_error(
                "enrollment_deadline", _("The deadline cannot be after the season ends.")
            )
        return cleaned


class StatusForm(forms.Form):
    status = forms.ChoiceField(choices=Season.Status.choices)


def requirement_refusal(teacher: Teacher, season: Season) -> str | None:
    """Why `teacher` may not be put on `season`'s roster now; None if they may."""
    if season.status != Season.Status.RUNNING:
        return None  # the readiness checklist keeps a season from running without them
    missing = teacher.missing_requirements(
        season, accepted_policy=teacher.accepted_current_policy()
    )
    if not missing:
        return None
    return _("%(teacher)s cannot work in a running season yet: missing %(missing)s.") % {
        "teacher": teacher.name,
        "missing": join_list(missing),
    }


def conflict_refusal(conflicts) -> str | None:
    if not conflicts:
        return None
    first = conflicts[0]
    return _("%(teacher)s already works with %(where)s (%(season)s) on %(days)s.") % {
        "teacher": first.teacher.name,
        "where": first.group.name if first.group else _("the whole season"),
        "season": first.season.name,
        "days": weekday_names(first.weekdays),
    }


class GroupForm(forms.ModelForm):
    class Meta:
        model = Group
        fields = ["name", "min_age", "max_age", "space", "capacity", "lead_teacher"]
        labels = {"name": _("group name")}

    def __init__(self, *args, season: Season, **kwargs):
        super().__init__(*args, **kwargs)
        self.season = self.instance.season = season
        self.fields["space"].queryset = Space.objects.filter(factory_id=season.factory_id)
        self.fields["lead_teacher"].queryset = Teacher.objects.filter(factory_id=season.factory_id)

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        taken = Group.objects.filter(season=self.season, name=name).exclude(pk=self.instance.pk)
        if taken.exists():
            raise forms.ValidationError(_("This season already has a group with this name."))
        return name

    def clean(self):
        cleaned = super().clean()
        low, high = cleaned.get("min_age"), cleaned.get("max_age")
        if low is not None and high is not None:
            if high < low:
                self.add_error("max_age", _("The maximum age cannot be below the minimum age."))
            elif low < self.season.min_age or high > self.season.max_age:
                self.add_error(
                    "min_age",
                    _("The season takes ages %(min)d to %(max)d.")
                    % {"min": self.season.min_age, "max": self.season.max_age},
                )
        space, capacity = cleaned.get("space"), cleaned.get("capacity")
        if space is not None and capacity is not None:
            self._check_room(space, capacity)
        if capacity is not None and self.instance.pk:
            enrolled = self.instance.enrollments.filter(status=Enrollment.Status.ENROLLED).count()
            if capacity < enrolled:
                self.add_error(
                    "capacity",
                    _("This group already has %(n)d children; move some to another group first.")
                    % {"n": enrolled},
                )
        if cleaned.get("lead_teacher") is not None:
            self._check_lead(cleaned["lead_teacher"])
        return cleaned

    def _check_room(self, space: Space, capacity: int) -> None:
        if space.room_for is None:
            self.add_error("space", _("Record this room's area first (on the rooms page)."))
            return
        others = (
            Group.objects.filter(season=self.season, space=space)
            .exclude(pk=self.instance.pk)
            .values_list("capacity", flat=True)
        )
        if capacity + sum(others) > space.room_for:
            self.add_error(
                "capacity",
                _(
                    "%(room)s has room for %(n)d children (%(area)s m² at %(m2)s m² a child); "
                    "its other groups take %(taken)d."
                )
                % {
                    "room": space.name,
                    "n": space.room_for,
                    "area": space.area_m2,
                    "m2": M2_PER_CHILD,
                    "taken": sum(others),
                },
            )

    def _check_lead(self, teacher: Teacher) -> None:
        if teacher.pk == self.instance.lead_teacher_id:
            return  # unchanged: checked when they were made lead
        refusal = requirement_refusal(teacher, self.season)
        on_group = self.instance.pk and teacher.assignments.filter(group=self.instance).exists()
        if not on_group and refusal is None:
            conflicts = assignment_conflicts(
                teacher=teacher, season=self.season, weekdays=self.season.opening_weekdays
            )
            refusal = conflict_refusal(conflicts)
        if refusal:
            self.add_error("lead_teacher", refusal)


class AssignmentForm(forms.Form):
    teacher = forms.ModelChoiceField(label=_("teacher"), queryset=Teacher.objects.none())
    group = forms.ModelChoiceField(
        label=_("group"),
        queryset=Group.objects.none(),
        required=False,
        empty_label=_("Whole season (helps every group)"),
    )
    weekdays = WeekdaysField(label=_("working days"))

    def __init__(self, *args, season: Season, **kwargs):
        super().__init__(*args, **kwargs)
        self.season = season
        self.fields["teacher"].queryset = Teacher.objects.filter(factory_id=season.factory_id)
        self.fields["group"].queryset = season.groups.all()
        self.fields["weekdays"].initial = season.opening_weekdays

    def clean(self):
        cleaned = super().clean()
        teacher, weekdays = cleaned.get("teacher"), cleaned.get("weekdays")
        if teacher is None or not weekdays:
            return cleaned
        refusal = requirement_refusal(teacher, self.season) or conflict_refusal(
            assignment_conflicts(teacher=teacher, season=self.season, weekdays=weekdays)
        )
        if refusal:
            self.add_error("teacher", refusal)
        return cleaned


class SpaceForm(forms.ModelForm):
    area_m2 = forms.DecimalField(label=_("area (m²)"), min_value=1, max_digits=7, decimal_places=1)

    class Meta:
        model = Space
        fields = ["name", "location", "area_m2", "capacity"]
        labels = {"name": _("room name")}

    def __init__(self, *args, factory, **kwargs):
        super().__init__(*args, **kwargs)
        self.factory = self.instance.factory = factory

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        taken = Space.objects.filter(factory=self.factory, name=name).exclude(pk=self.instance.pk)
        if taken.exists():
            raise forms.ValidationError(_("This factory already has a room with this name."))
        return name

    def clean(self):
        cleaned = super().clean()
        area, capacity = cleaned.get("area_m2"), cleaned.get("capacity")
        if area is not None and capacity is not None:
            most = math.floor(area / M2_PER_CHILD)
            if capacity > most:
                self.add_error(
                    "capacity",
                    _("A room of %(area)s m² holds at most %(n)d children (%(m2)s m² per child).")
                    % {"area": area, "n": most, "m2": M2_PER_CHILD},
                )
        return cleaned


class SafetyCheckForm(forms.ModelForm):
    class Meta:
        model = SafetyCheck
        fields = ["kind", "checked_on", *SafetyCheck.ITEMS, "notes"]
        widgets = {"checked_on": DATE_WIDGET, "notes": forms.Textarea(attrs={"rows": 2})}
        help_texts = {"notes": _("Required when an item fails: what is wrong, what is done.")}

    def clean_checked_on(self) -> datetime.date:
        return not_in_future(self.cleaned_data["checked_on"])

    def clean(self):
        cleaned = super().clean()
        failed = [item for item in SafetyCheck.ITEMS if not cleaned.get(item)]
        if failed and not cleaned.get("notes", "").strip():
            self.add_error("notes", _("An item failed: say what is wrong and what is being done."))
        return cleaned


class TeacherForm(forms.ModelForm):
    username = forms.CharField(
        label=_("Login (username)"),
        max_length=150,
        required=False,
        help_text=_("The account the teacher signs in with, to take the roll call."),
    )
    accepts_policy = forms.BooleanField(label="", required=False)

    class Meta:
        model = Teacher
        fields = [
            "name", "kind", "qualification", "phone", "training_completed_on",
            "background_check_on",
        ]  # fmt: skip
        widgets = {"training_completed_on": DATE_WIDGET, "background_check_on": DATE_WIDGET}

    def __init__(self, *args, factory, policy: ConductPolicy | None, **kwargs):
        super().__init__(*args, **kwargs)
        self.factory = self.instance.factory = factory
        self.policy = policy
        if self.instance.user_id:
            self.fields["username"].initial = self.instance.user.username
        self.already_accepted = (
            policy is not None
            and self.instance.pk is not None
            and self.instance.policy_acceptances.filter(policy=policy).exists()
        )
        if policy is None or self.already_accepted:
            del self.fields["accepts_policy"]
        else:
            self.fields["accepts_policy"].label = _(
                "Has read and signed the code of conduct and child protection policy, version %(n)d"
            ) % {"n": policy.version}

    def clean_phone(self) -> str:
        phone = self.cleaned_data["phone"]
        return clean_phone(phone) if phone else ""

    def clean_training_completed_on(self):
        return not_in_future(self.cleaned_data["training_completed_on"])

    def clean_background_check_on(self):
        return not_in_future(self.cleaned_data["background_check_on"])

    def clean_username(self) -> User | None:
        username = self.cleaned_data["username"].strip()
        if not username:
            return None
        user = User.objects.filter(username=username).first()
        if user is None:
            raise forms.ValidationError(_("There is no login with this username."))
        linked = Teacher.objects.filter(factory=self.factory, user=user).exclude(
            pk=self.instance.pk
        )
        if linked.exists():
            raise forms.ValidationError(
                _("This login already belongs to %(name)s.") % {"name": linked.first().name}
            )
        return user

    @property
    def accepted_policy(self) -> ConductPolicy | None:
        """The version to record as accepted now, if the box was ticked."""
        return self.policy if self.cleaned_data.get("accepts_policy") else None

    def save(self, commit=True) -> Teacher:
        self.instance.user = self.cleaned_data["username"]
        return super().save(commit)


class MoveForm(forms.Form):
    group = forms.ModelChoiceField(label=_("Move to"), queryset=Group.objects.none())

    def __init__(self, *args, enrollment: Enrollment, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["group"].queryset = enrollment.season.groups.exclude(pk=enrollment.group_id)
        self.fields["group"].label_from_instance = lambda g: f"{g.name} ({g.min_age}–{g.max_age})"


class WeeklyPlanForm(forms.Form):
    """A group's weekly plan: an activity and a note for each half-day it opens."""

    def __init__(self, *args, group: Group, **kwargs):
        super().__init__(*args, **kwargs)
        self.group = group
        slots = {(s.weekday, s.block): s for s in group.activity_slots.all()}
        self.rows = []  # (weekday name, [(activity field, note field) per block])
        names = dict(ISO_WEEKDAYS)
        for day in group.season.opening_weekdays:
            cells = []
            for block, block_name in ActivitySlot.Block.choices:
                slot = slots.get((int(day), block))
                kind, note = f"kind_{day}_{block}", f"note_{day}_{block}"
                self.fields[kind] = forms.ChoiceField(
                    label=f"{names[day]} {block_name}",
                    choices=[("", "—")] + ActivitySlot.Kind.choices,
                    required=False,
                    initial=slot.kind if slot else "",
                )
                self.fields[note] = forms.CharField(
                    label=_("details"), max_length=200, required=False,
                    initial=slot.note if slot else "",
                )  # fmt: skip
                cells.append((kind, note))
            self.rows.append((names[day], cells))

    def clean(self):
        cleaned = super().clean()
        for name, value in list(cleaned.items()):
            if name.startswith("kind_") and value == ActivitySlot.Kind.OTHER:
                note = name.replace("kind_", "note_", 1)
                if not cleaned.get(note, "").strip():
                    self.add_error(note, _("Say what the activity is."))
        return cleaned

    def bound_rows(self):
        return [(day, [(self[k], self[n]) for k, n in cells]) for day, cells in self.rows]

    def save(self) -> None:
        """Replace the group's plan with the form's: one delete, one insert."""
        slots = []
        for _day, cells in self.rows:
            for kind, note in cells:
                if self.cleaned_data[kind]:
                    _k, day, block = kind.split("_")
                    slots.append(
                        ActivitySlot(
                            group=self.group,
                            weekday=int(day),
                            block=block,
                            kind=self.cleaned_data[kind],
                            note=self.cleaned_data[note].strip(),
                        )
                    )
        with transaction.atomic():
            self.group.activity_slots.all().delete()
            ActivitySlot.objects.bulk_create(slots)
