from django.contrib import admin

from factories.admin import AuditedAdmin

from .models import (
    AuthorisedPickup,
    Child,
    Consent,
    EmergencyContact,
    Enrollment,
    Guardianship,
)


class GuardianshipInline(admin.TabularInline):
    model = Guardianship
    extra = 0
    autocomplete_fields = ["worker"]


class AuthorisedPickupInline(admin.TabularInline):
    model = AuthorisedPickup
    extra = 0


class EmergencyContactInline(admin.TabularInline):
    model = EmergencyContact
    extra = 0


@admin.register(Child)
class ChildAdmin(AuditedAdmin):
    list_display = ["name", "factory", "sex", "date_of_birth", "home_province", "lives_with"]
    list_filter = ["factory", "sex", "home_province", "lives_with"]
    search_fields = ["name", "guardians__name", "guardians__employee_number"]
    autocomplete_fields = ["factory"]
    inlines = [GuardianshipInline, AuthorisedPickupInline, EmergencyContactInline]


class ConsentInline(admin.TabularInline):
    model = Consent
    extra = 0


@admin.register(Enrollment)
class EnrollmentAdmin(AuditedAdmin):
    list_display = ["child", "season", "status", "group", "applied_at", "reference"]
    list_filter = ["status", "season__factory", "season"]
    search_fields = ["child__name", "reference"]
    date_hierarchy = "applied_at"
    autocomplete_fields = ["child", "season", "group"]
    list_select_related = ["child", "season__factory", "group"]
    readonly_fields = ["reference", "applied_at"]
    inlines = [ConsentInline]
