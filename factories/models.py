"""Factories, the people who work there, and who may see what.

Access is decided here, once: `Membership` says which factories a user
belongs to and in which role, and `ScopedQuerySet.for_roles()` narrows any
model's rows to those factories. Every model holding people's data has a
`visible_to(user)` QuerySet method built on it; views never filter by factory
by hand.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from .scoping import CHILDREN_STAFF, Role  # Role is imported from here too

PROVINCES = [
    ("anhui", _("Anhui")),
    ("beijing", _("Beijing")),
    ("chongqing", _("Chongqing")),
    ("fujian", _("Fujian")),
    ("gansu", _("Gansu")),
    ("guangdong", _("Guangdong")),
    ("guangxi", _("Guangxi")),
    ("guizhou", _("Guizhou")),
    ("hainan", _("Hainan")),
    ("hebei", _("Hebei")),
    ("heilongjiang", _("Heilongjiang")),
    ("henan", _("Henan")),
    ("hubei", _("Hubei")),
    ("hunan", _("Hunan")),
    ("inner_mongolia", _("Inner Mongolia")),
    ("jiangsu", _("Jiangsu")),
    ("jiangxi", _("Jiangxi")),
    ("jilin", _("Jilin")),
    ("liaoning", _("Liaoning")),
    ("ningxia", _("Ningxia")),
    ("qinghai", _("Qinghai")),
    ("shaanxi", _("Shaanxi")),
    ("shandong", _("Shandong")),
    ("shanghai", _("Shanghai")),
    ("shanxi", _("Shanxi")),
    ("sichuan", _("Sichuan")),
    ("tianjin", _("Tianjin")),
    ("tibet", _("Tibet")),
    ("xinjiang", _("Xinjiang")),
    ("yunnan", _("Yunnan")),
    ("zhejiang", _("Zhejiang")),
]


class ScopedQuerySet(models.QuerySet):
    """Base QuerySet for every model that belongs to one factory.

    `factory_field` is the lookup path from the model to its Factory.
    """

    factory_field = "factory"

    def for_roles(self, user, *roles: str):
        """Rows of the factories where `user` holds one of `roles` (any role if none)."""
        if user.is_superuser:
            return self.all()
        if not user.is_authenticated:
            return self.none()
        return self.filter(
            **{f"{self.factory_field}__in": Membership.objects.factory_ids(user, roles)}
        )

    def visible_to(self, user):
        """Everything `user` may see: all for a superuser, nothing for a visitor."""
        if user.is_superuser:
            return self.all()
        if not user.is_authenticated:
            return self.none()
        return self.for_member(user)

    def for_member(self, user):
        """What a signed-in member may see; models narrow this where a role sees less."""
        return self.for_roles(user)


class FactoryQuerySet(ScopedQuerySet):
    factory_field = "pk"


class User(AbstractUser):
    """A login. Which factories it may see comes from its memberships."""

    display_name = models.CharField(_("display name"), max_length=100, blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    language = models.CharField(
        _("language"), max_length=10, choices=settings.LANGUAGES, default=settings.LANGUAGE_CODE
    )
    # Kinds of email this user has switched off (see notifications.outbox.KINDS).
    notifications_off = models.JSONField(_("emails switched off"), default=list, blank=True)
    # Moved on when something this user's phone may have kept offline must go
    # (a child of their factory was erased): see attendance.middleware.
    kept_pages_version = models.PositiveIntegerField(default=0, editable=False)

    def __str__(self) -> str:
        return self.display_name or self.get_full_name() or self.username


class Factory(models.Model):
    code = models.SlugField(_("code"), max_length=40, unique=True)
    name_zh = models.CharField(_("name (Chinese)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200, blank=True)
    province = models.CharField(_("province"), max_length=20, choices=PROVINCES)
    city = models.CharField(_("city"), max_length=100)
    address = models.CharField(_("address"), max_length=300, blank=True)
    headcount = models.PositiveIntegerField(_("headcount"), default=0)
    time_zone = models.CharField(_("time zone"), max_length=50, default="Asia/Shanghai")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = FactoryQuerySet.as_manager()

    class Meta:
        verbose_name = _("factory")
        verbose_name_plural = _("factories")
        ordering = ["name_zh"]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        """The name in the reader's language, falling back to Chinese."""
        if translation.get_language() == "en" and self.name_en:
            return self.name_en
        return self.name_zh


class MembershipQuerySet(models.QuerySet):
    def factory_ids(self, user, roles=()):
        """A subquery of the ids of the factories where `user` holds one of `roles`."""
        memberships = self.filter(user=user)
        if roles:
            memberships = memberships.filter(role__in=roles)
        return memberships.values("factory_id")


class Membership(models.Model):
    """A user's role at a factory; a user may hold several roles at several factories."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="memberships",
        verbose_name=_("user"),
    )
    factory = models.ForeignKey(
        Factory, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("factory")
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        ordering = ["factory__name_zh", "role"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "factory", "role"], name="membership_unique_role"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.factory} · {self.get_role_display()}"


class Shift(models.TextChoices):
    DAY = "day", _("Day shift")
    NIGHT = "night", _("Night shift")
    ROTATING = "rotating", _("Rotating shifts")


class WorkerQuerySet(ScopedQuerySet):
    def for_member(self, user):
        return self.for_roles(user, *CHILDREN_STAFF)


class Worker(models.Model):
    """A factory employee who is a parent: the guardian of record of a child."""

    factory = models.ForeignKey(
        Factory, on_delete=models.PROTECT, related_name="workers", verbose_name=_("factory")
    )
    employee_number = models.CharField(_("employee number"), max_length=40)
    name = models.CharField(_("name"), max_length=100)
    department = models.CharField(_("department"), max_length=100, blank=True)
    shift = models.CharField(_("shift"), max_length=20, choices=Shift.choices, blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    home_province = models.CharField(
        _("home province"), max_length=20, choices=PROVINCES, blank=True
    )
    # False for a worker the public form registered under a number HR never
    # entered: HR confirms them (or the next roster import does).
    on_roster = models.BooleanField(_("on the roster"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = WorkerQuerySet.as_manager()

    class Meta:
        verbose_name = _("worker")
        verbose_name_plural = _("workers")
        ordering = ["factory", "employee_number"]
        constraints = [
            models.UniqueConstraint(
                fields=["factory", "employee_number"], name="worker_unique_employee_number"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.employee_number})"


def staff_of(factory_id: int, *roles: str):
    """The active users holding one of `roles` at a factory (who gets its emails)."""
    return User.objects.filter(
        is_active=True, memberships__factory_id=factory_id, memberships__role__in=roles
    ).distinct()


def user_roles(user) -> dict[int, set[str]]:
    """{factory id: {roles}} for `user`; one query, for menus and dashboards."""
    roles: dict[int, set[str]] = {}
    for factory_id, role in Membership.objects.filter(user=user).values_list("factory_id", "role"):
        roles.setdefault(factory_id, set()).add(role)
    return roles


def _scrubbed(value, mark: str):
    """A recorded value with every non-empty part replaced by `mark`."""
    if isinstance(value, list):
        return [_scrubbed(v, mark) for v in value]
    return mark if value not in (None, "", []) else value


def audit_snapshot(instance, fields) -> dict:
    """The values of `fields` the audit trail keeps of `instance` (None: nothing
    yet): the non-empty ones, dates and times as ISO text."""
    if instance is None:
        return {}
    return {
        field: value.isoformat() if isinstance(value, datetime.date) else value
        for field in fields
        if (value := getattr(instance, field))
    }


def audit_diff(before: dict, after: dict) -> dict:
    """{field: [old, new]} of what changed between two snapshots."""
    return {
        field: [before.get(field), after.get(field)]
        for field in dict.fromkeys([*before, *after])
        if before.get(field) != after.get(field)
    }


class AuditEntryQuerySet(ScopedQuerySet):
    def for_member(self, user):
        return self.for_roles(user, Role.COORDINATOR)

    def scrub(self, *, model: str, object_ids, mark: str, keep=("status", "kind")) -> int:
        """Erase the values the trail holds about these rows (an erased child's),
        keeping who changed which field and when; values of the `keep` fields
        (not personal) stay. Returns how many entries were scrubbed."""
        entries = list(self.filter(model=model, object_id__in=[str(pk) for pk in object_ids]))
        for entry in entries:
            entry.changes = {
                field: pair if field in keep else _scrubbed(pair, mark)
                for field, pair in entry.changes.items()
            }
        return self.bulk_update(entries, ["changes"])

    def record_change(
        self, *, user, factory_id: int, instance, before: dict, fields, created: bool = False
    ) -> AuditEntry | None:
        """Write what changed in `instance` since `before` (its `audit_snapshot`
        of `fields`), if anything did."""
        changes = audit_diff(before, audit_snapshot(instance, fields))
        if not changes:
            return None
        action = AuditEntry.Action.CREATE if created else AuditEntry.Action.UPDATE
        return self.record(
            user=user, factory_id=factory_id, instance=instance, action=action, changes=changes
        )

    def record(self, *, user, factory_id: int, instance, action: str, changes: dict) -> AuditEntry:
        """Write one entry: who did `action` to `instance`, with {field: [old, new]}."""
        return self.create(
            user=user if user is not None and user.is_authenticated else None,
            factory_id=factory_id,
            model=instance._meta.label_lower,
            object_id=str(instance.pk),
            action=action,
            changes=changes,
        )


class AuditEntry(models.Model):
    """Who changed what and when, on the records that hold children's data.

    Written by the code that makes the change (services), never edited: the
    admin shows it read-only and no view changes it.
    """

    # Record types (`app.model`) whose entries only superusers list in the
    # admin; higher floors add theirs (safeguarding concerns).
    CONFIDENTIAL_MODELS: set[str] = set()

    class Action(models.TextChoices):
        CREATE = "create", _("Created")
        UPDATE = "update", _("Changed")
        DELETE = "delete", _("Deleted")
        VIEW = "view", _("Viewed")
        EXPORT = "export", _("Exported")

    factory = models.ForeignKey(
        Factory, on_delete=models.CASCADE, related_name="+", verbose_name=_("factory")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("user"),
    )
    at = models.DateTimeField(_("when"), default=timezone.now)
    model = models.CharField(_("record type"), max_length=100)
    object_id = models.CharField(_("record id"), max_length=40)
    action = models.CharField(_("action"), max_length=10, choices=Action.choices)
    changes = models.JSONField(_("changes"), default=dict)

    objects = AuditEntryQuerySet.as_manager()

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit trail")
        ordering = ["-at"]
        indexes = [models.Index(fields=["model", "object_id"], name="audit_object_idx")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.user} {self.action} {self.model}#{self.object_id}"
