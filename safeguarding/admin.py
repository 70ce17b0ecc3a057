"""Concerns are not in the admin lists of staff: only a superuser sees them
there. Leads are designated here (by an administrator)."""

from django.contrib import admin

from .models import (
    Concern,
    ConductSignature,
    FollowUp,
    RecordCheck,
    Referral,
    SafeguardingLead,
    TrainingRecord,
)


class SuperuserOnly(admin.ModelAdmin):
    def has_module_permission(self, request):
        return request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_add_permission(self, request):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return False  # kept: the duty to report outlives retention


class ReferralInline(admin.TabularInline):
    model = Referral
    extra = 0


class FollowUpInline(admin.TabularInline):
    model = FollowUp
    extra = 0


@admin.register(Concern)
class ConcernAdmin(SuperuserOnly):
    list_display = ["reference", "factory", "category", "status", "raised_at"]
    list_filter = ["status", "category"]
    search_fields = ["reference"]
    inlines = [ReferralInline, FollowUpInline]
    readonly_fields = ["client_key"]


@admin.register(SafeguardingLead)
class SafeguardingLeadAdmin(SuperuserOnly):
    list_display = ["user", "factory"]
    autocomplete_fields = ["factory", "user"]

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser


@admin.register(ConductSignature)
class ConductSignatureAdmin(SuperuserOnly):
    list_display = ["teacher", "policy", "typed_name", "signed_at", "ip_address"]
    readonly_fields = ["teacher", "policy", "typed_name", "signed_at", "ip_address", "language"]

    def has_delete_permission(self, request, obj=None):
        # A teacher's own checks go with the teacher (deleted in the admin);
        # concerns are what the duty to report keeps.
        return request.user.is_superuser


@admin.register(TrainingRecord)
class TrainingRecordAdmin(SuperuserOnly):
    list_display = ["teacher", "course", "completed_on", "trainer"]

    def has_delete_permission(self, request, obj=None):
        # A teacher's own checks go with the teacher (deleted in the admin);
        # concerns are what the duty to report keeps.
        return request.user.is_superuser


@admin.register(RecordCheck)
class RecordCheckAdmin(SuperuserOnly):
    list_display = ["teacher", "checked_on", "result", "reference"]

    def has_delete_permission(self, request, obj=None):
        # A teacher's own checks go with the teacher (deleted in the admin);
        # concerns are what the duty to report keeps.
        return request.user.is_superuser
