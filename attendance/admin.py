from django.contrib import admin

from factories.admin import AuditedAdmin

from .models import Attendance, Incident, StaffShift


@admin.register(Attendance)
class AttendanceAdmin(AuditedAdmin):
    list_display = ["date", "enrollment", "group", "status", "check_in_at", "check_out_at"]
    list_filter = ["status", "absence_reason", "group__season__factory", "date"]
    search_fields = ["enrollment__child__name"]
    date_hierarchy = "date"
    raw_id_fields = ["enrollment", "group", "recorded_by"]
    list_select_related = ["enrollment__child", "enrollment__season__factory", "group"]


@admin.register(Incident)
class IncidentAdmin(admin.ModelAdmin):
    list_display = ["occurred_at", "kind", "severity", "group", "guardian_informed_at"]
    list_filter = ["kind", "severity", "group__season__factory"]
    search_fields = ["description", "children__name"]
    date_hierarchy = "occurred_at"
    raw_id_fields = ["children", "group", "recorded_by"]


@admin.register(StaffShift)
class StaffShiftAdmin(admin.ModelAdmin):
    list_display = ["date", "teacher", "group", "check_in_at", "check_out_at"]
    list_filter = ["group__season__factory", "date"]
    search_fields = ["teacher__name"]
    date_hierarchy = "date"
    raw_id_fields = ["group", "teacher"]
