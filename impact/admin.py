from django.contrib import admin

from .models import Instrument, Question, Response, Survey


class QuestionInline(admin.TabularInline):
    model = Question
    extra = 0
    # Wording never changes once shipped: a new wording is a new version.
    readonly_fields = ("key", "version", "kind", "text_zh", "text_en", "options", "order")
    can_delete = False


@admin.register(Instrument)
class InstrumentAdmin(admin.ModelAdmin):
    list_display = ("code", "version", "title_zh", "created_at")
    readonly_fields = ("code", "version")
    inlines = [QuestionInline]


@admin.register(Survey)
class SurveyAdmin(admin.ModelAdmin):
    list_display = ("season", "instrument", "created_at")
    readonly_fields = ("season", "instrument")


@admin.register(Response)
class ResponseAdmin(admin.ModelAdmin):
    """Individual answers: the superuser alone (a worker's access or erasure request)."""

    list_display = ("pk", "survey", "round", "answered_at")
    readonly_fields = ("survey", "round", "pseudonym", "answers", "language", "answered_at")

    def has_module_permission(self, request) -> bool:
        return request.user.is_superuser

    def has_view_permission(self, request, obj=None) -> bool:
        return request.user.is_superuser

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
