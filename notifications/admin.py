from django.contrib import admin

from .models import PRIVATE_KINDS, Notification


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

    def get_queryset(self, request):
        # Safeguarding emails are for the superuser's eyes only among staff.
        rows = super().get_queryset(request)
        return rows if request.user.is_superuser else rows.exclude(kind__in=PRIVATE_KINDS)
