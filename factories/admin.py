from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from .models import AuditEntry, Factory, Membership, Notification, User, Worker


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["factory"]


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    inlines = [MembershipInline]
    list_display = ["username", "display_name", "email", "language", "is_staff", "is_active"]
    search_fields = ["username", "display_name", "email", "phone"]
    fieldsets = BaseUserAdmin.fieldsets + (
        (_("Profile"), {"fields": ["display_name", "phone", "language"]}),
    )


@admin.register(Factory)
class FactoryAdmin(admin.ModelAdmin):
    list_display = ["name_zh", "name_en", "code", "province", "city", "headcount"]
    list_filter = ["province"]
    search_fields = ["name_zh", "name_en", "code", "city"]
    prepopulated_fields = {"code": ["name_en"]}


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "factory", "role", "created_at"]
    list_filter = ["role", "factory"]
    search_fields = ["user__username", "user__display_name", "factory__name_zh"]
    autocomplete_fields = ["user", "factory"]


@admin.register(Worker)
class WorkerAdmin(admin.ModelAdmin):
    list_display = ["employee_number", "name", "factory", "department", "shift", "home_province"]
    list_filter = ["factory", "shift", "home_province"]
    search_fields = ["employee_number", "name", "phone"]
    autocomplete_fields = ["factory"]


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["created_at", "kind", "email", "factory", "status", "attempts", "sent_at"]
    list_filter = ["status", "kind", "factory"]
    search_fields = ["email", "subject", "idempotency_key"]
    date_hierarchy = "created_at"
    readonly_fields = [f.name for f in Notification._meta.fields]

    def has_add_permission(self, request):
        # The log is written by the system only.
        return False


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """The trail is read-only, even for superusers."""

    list_display = ["at", "user", "action", "model", "object_id", "factory"]
    list_filter = ["action", "model", "factory"]
    search_fields = ["object_id", "user__username"]
    date_hierarchy = "at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
