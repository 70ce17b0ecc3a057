from django import forms
from django.contrib import admin
from django.forms.models import BaseInlineFormSet

from . import services
from .models import (
    ActivitySlot,
    Calendar,
    ClosedDay,
    ConductPolicy,
    Group,
    RatioRule,
    SafetyCheck,
    Season,
    Space,
    Teacher,
    TeacherAssignment,
    TeacherPolicyAcceptance,
)


class ClosedDaysFormSet(BaseInlineFormSet):
    """The season's calendar as the admin would save it (the season's fields are
    already on `instance`, its closed days are these forms), refused like the
    coordinator's form when it would leave records outside the season."""

    def clean(self):
        super().clean()
        season = self.instance
        if season.pk is None or any(self.errors):
            return
        closed = {
            form.cleaned_data["date"]
            for form in self.forms
            if form.cleaned_data.get("date") and not self._should_delete_form(form)
        }
        new = Calendar(season.start_date, season.end_date, season.opening_weekdays,
                       frozenset(closed))  # fmt: skip
        refusals = season.calendar_change_refusals(new)
        if refusals:
            raise forms.ValidationError(refusals)


class ClosedDayInline(admin.TabularInline):
    model = ClosedDay
    formset = ClosedDaysFormSet
    extra = 0


class RatioRuleInline(admin.TabularInline):
    model = RatioRule
    extra = 0


class GroupInline(admin.TabularInline):
    model = Group
    extra = 0
    autocomplete_fields = ["space", "lead_teacher"]


@admin.register(Season)
class SeasonAdmin(admin.ModelAdmin):
    list_display = ["name", "factory", "start_date", "end_date", "status", "capacity"]
    list_filter = ["status", "factory"]
    search_fields = ["name", "factory__name_zh", "factory__name_en"]
    date_hierarchy = "start_date"
    autocomplete_fields = ["factory"]
    inlines = [RatioRuleInline, ClosedDayInline, GroupInline]


class SafetyCheckInline(admin.StackedInline):
    model = SafetyCheck
    extra = 0


@admin.register(Space)
class SpaceAdmin(admin.ModelAdmin):
    list_display = ["name", "factory", "capacity", "area_m2"]
    list_filter = ["factory"]
    search_fields = ["name", "factory__name_zh"]
    inlines = [SafetyCheckInline]


class ActivitySlotInline(admin.TabularInline):
    model = ActivitySlot
    extra = 0


@admin.register(Group)
class GroupAdmin(admin.ModelAdmin):
    list_display = ["name", "season", "min_age", "max_age", "capacity", "lead_teacher"]
    list_filter = ["season__factory", "season"]
    search_fields = ["name", "season__name"]
    autocomplete_fields = ["season", "space", "lead_teacher"]
    inlines = [ActivitySlotInline]


class PolicyAcceptanceInline(admin.TabularInline):
    # Acceptances are records of what a teacher signed: read, never edited.
    model = TeacherPolicyAcceptance
    extra = 0
    can_delete = False
    readonly_fields = ["policy", "accepted_at", "recorded_by"]

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Teacher)
class TeacherAdmin(admin.ModelAdmin):
    list_display = ["name", "factory", "kind", "training_completed_on", "background_check_on"]
    list_filter = ["kind", "factory"]
    search_fields = ["name", "phone", "user__username"]
    autocomplete_fields = ["factory", "user"]
    inlines = [PolicyAcceptanceInline]

    # Through the services, so that a login changed or removed here loses the
    # factory as it does on the coordinator's pages.
    def save_model(self, request, obj, form, change):
        services.teacher_save(teacher=obj, accepts=None, user=request.user)

    def delete_model(self, request, obj):
        services.teacher_remove(teacher=obj, user=request.user)

    def delete_queryset(self, request, queryset):
        for teacher in queryset:
            services.teacher_remove(teacher=teacher, user=request.user)


@admin.register(TeacherAssignment)
class TeacherAssignmentAdmin(admin.ModelAdmin):
    list_display = ["teacher", "season", "group"]
    list_filter = ["season__factory", "season"]
    search_fields = ["teacher__name"]
    autocomplete_fields = ["teacher", "season", "group"]


@admin.register(ConductPolicy)
class ConductPolicyAdmin(admin.ModelAdmin):
    """Publishing a new version here makes every teacher accept it again."""

    list_display = ["version", "published_at"]
