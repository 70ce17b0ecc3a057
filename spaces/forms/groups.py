"""Groups and the roster, rooms and safety checks, teachers, weekly plans."""

import datetime
import math

from django import forms
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ccrcsr.fields import clean_phone
from factories.models import User

from .. import vetting
from ..models import (
    ISO_WEEKDAYS,
    M2_PER_CHILD,
    ActivitySlot,
    ConductPolicy,
    Group,
    SafetyCheck,
    Season,
    Space,
    Teacher,
    join_list,
    weekday_names,
)
from ..services import assignment_conflicts
from .seasons import DATE_WIDGET, WeekdaysField, not_in_future


def requirement_refusal(teacher: Teacher, season: Season) -> str | None:
    """Why `teacher` may not be put on `season`'s roster now; None if they may."""
    # The safeguarding checks (registered by a higher floor) hold at any season
    # status, valid on the day they would start; the others only once it runs
    # (the readiness checklist keeps a season from running without them).
    day = max(timezone.localdate(), season.start_date)
    missing = vetting.missing(teacher.pk, day)
    if season.status == Season.Status.RUNNING:
        missing = (
            teacher.missing_requirements(season, accepted_policy=teacher.accepted_current_policy())
            + missing
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
            # "enrolled": the enrollment app's status, named here (a floor above).
            enrolled = self.instance.enrollments.filter(status="enrolled").count()
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
    # A login is picked among this factory's people, never typed: typing any
    # username would take over another factory's account (or the admin's) and
    # tell the typist which usernames exist. Someone new gets a login made here.
    username = forms.ModelChoiceField(
        label=_("Login"),
        queryset=User.objects.none(),
        to_field_name="username",
        required=False,
        empty_label=_("No login yet"),
        help_text=_(
            "One of this factory's people; the teacher signs in with it to take the roll call."
        ),
        error_messages={
            "invalid_choice": _("Choose one of this factory's people, or make a new login.")
        },
    )
    new_login = forms.BooleanField(
        label=_(
            "Make a new login for this teacher (you get a link to give them, to set a password)"
        ),
        required=False,
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
        members = Q(memberships__factory=factory, is_active=True, is_superuser=False)
        self.fields["username"].queryset = (
            User.objects.filter(members | Q(pk=self.instance.user_id))
            .distinct()
            .order_by("username")
        )
        self.fields["username"].label_from_instance = lambda u: f"{u} ({u.username})"
        if self.instance.user_id:
            self.fields["username"].initial = self.instance.user.username
            del self.fields["new_login"]
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
        user = self.cleaned_data["username"]
        linked = Teacher.objects.filter(factory=self.factory, user=user).exclude(
            pk=self.instance.pk
        )
        if user is not None and linked.exists():
            raise forms.ValidationError(
                _("This login already belongs to %(name)s.") % {"name": linked.first().name}
            )
        return user

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("username") and cleaned.get("new_login"):
            self.add_error("new_login", _("Either pick an existing login or make a new one."))
        return cleaned

    @property
    def accepted_policy(self) -> ConductPolicy | None:
        """The version to record as accepted now, if the box was ticked."""
        return self.policy if self.cleaned_data.get("accepts_policy") else None

    @property
    def wants_new_login(self) -> bool:
        return bool(self.cleaned_data.get("new_login"))

    def save(self, commit=True) -> Teacher:
        self.instance.user = self.cleaned_data["username"]
        return super().save(commit)


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
