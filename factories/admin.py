from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from .models import AuditEntry, Factory, Membership, User, Worker

# How to reach the factory from each audited model.
FACTORY_PATHS = {
    "factories.worker": "factory_id",
    "enrollment.child": "factory_id",
    "enrollment.guardianship": "child.factory_id",
    "enrollment.authorisedpickup": "child.factory_id",
    "enrollment.emergencycontact": "child.factory_id",
    "enrollment.enrollment": "season.factory_id",
    "enrollment.consent": "enrollment.season.factory_id",
    "attendance.attendance": "group.season.factory_id",
}


def _factory_id(instance) -> int:
    value = instance
    for part in FACTORY_PATHS[instance._meta.label_lower].split("."):
        value = getattr(value, part)
    return value


def _audit(request, instance, action, changed=()) -> None:
    changes = {name: [None, str(getattr(instance, name, ""))] for name in changed}
    AuditEntry.objects.record(
        user=request.user,
        factory_id=_factory_id(instance),
        instance=instance,
        action=action,
        changes=changes,
    )


class AuditedAdmin(admin.ModelAdmin):
    """Admin edits of children's data go into the audit trail like any other."""

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        action = AuditEntry.Action.UPDATE if change else AuditEntry.Action.CREATE
        _audit(request, obj, action, form.changed_data)

    def delete_model(self, request, obj):
        _audit(request, obj, AuditEntry.Action.DELETE)
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            _audit(request, obj, AuditEntry.Action.DELETE)
        super().delete_queryset(request, queryset)

    def save_formset(self, request, form, formset, change):
        instances = formset.save(commit=False)
        for obj in formset.deleted_objects:
            _audit(request, obj, AuditEntry.Action.DELETE)
            obj.delete()
        for obj in instances:
            created = obj.pk is None
            obj.save()
            _audit(request, obj, AuditEntry.Action.CREATE if created else AuditEntry.Action.UPDATE)
        formset.save_m2m()


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
class WorkerAdmin(AuditedAdmin):
    list_display = ["employee_number", "name", "factory", "department", "shift", "home_province"]
    list_filter = ["factory", "shift", "home_province"]
    search_fields = ["employee_number", "name", "phone"]
    autocomplete_fields = ["factory"]


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

    def get_queryset(self, request):
        # Entries about confidential records (a higher floor's, e.g. safeguarding
        # concerns) are listed to superusers only.
        rows = super().get_queryset(request)
        if request.user.is_superuser:
            return rows
        return rows.exclude(model__in=AuditEntry.CONFIDENTIAL_MODELS)
