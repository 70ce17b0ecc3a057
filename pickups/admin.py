from django.contrib import admin

from .models import BarredPerson, PickupRules, WorkerShift, WorkShift


@admin.register(PickupRules)
class PickupRulesAdmin(admin.ModelAdmin):
    list_display = ["factory", "walk_minutes", "code_required", "manager"]


@admin.register(WorkShift)
class WorkShiftAdmin(admin.ModelAdmin):
    list_display = ["factory", "name", "starts_at", "ends_at"]
    list_filter = ["factory"]


@admin.register(WorkerShift)
class WorkerShiftAdmin(admin.ModelAdmin):
    list_display = ["worker", "shift", "starts_on"]
    raw_id_fields = ["worker"]


@admin.register(BarredPerson)
class BarredPersonAdmin(admin.ModelAdmin):
    list_display = ["child", "name", "created_at"]
    raw_id_fields = ["child"]
