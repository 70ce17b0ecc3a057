"""Setting a season up: dates and days, ratio rules, closed days, rollover, status."""

import datetime

from django import forms
from django.conf import settings
from django.db import transaction
from django.forms import BaseInlineFormSet, inlineformset_factory
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ccrcsr.fields import TickedRowsField

from ..models import (
    ISO_WEEKDAYS,
    Calendar,
    ClosedDay,
    RatioRule,
    Season,
    Teacher,
)
from ..signals import season_calendar_changed

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
TIME_WIDGET = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
RATIO_TOO_LOW = _("A ratio must allow at least one child per teacher.")

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
        # As stored: validating the form writes the new values onto the instance.
        self.old_calendar = None if new else Calendar.of(instance)
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
        if not all([season_valid, self.closed_days.is_valid(), self.rules.is_valid()]):
            return False
        # A change that would leave records outside the season (a roll call on a
        # day no longer open, a child's stay outside the dates) is refused, with
        # every reason: moved anyway, the report (by date) and the dashboard
        # (by season) would count different days.
        if self.old_calendar is None:
            return True
        season = self.season.instance
        for reason in season.calendar_change_refusals(self.new_calendar(), old=self.old_calendar):
            self.season.add_error(None, reason)
        return self.season.is_valid()

    def new_calendar(self) -> Calendar:
        data = self.season.cleaned_data
        closed = {
            form.cleaned_data["date"]
            for form in self.closed_days.forms
            if form.cleaned_data.get("date") and not self.closed_days._should_delete_form(form)
        }
        return Calendar(data["start_date"], data["end_date"], data["opening_weekdays"],
                        frozenset(closed))  # fmt: skip

    def save(self) -> Season:
        new = self.new_calendar()
        with transaction.atomic():
            season = self.season.save()
            for formset in (self.closed_days, self.rules):
                formset.instance = season
                formset.save()
            if self.old_calendar is not None and self.old_calendar != new:
                season_calendar_changed.send(
                    sender=Season, season=season, old=self.old_calendar, new=new
                )
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
