"""Parents: a guardian's consent to be told, and what a parent tells the space.

A parent is not a login user. They are a Worker (the guardian of record),
reached through the parent channel, and they answer from a signed link
(parents.links). What they answer is a notice for one child on one day; it
never changes the child's record, guardians or pickup list (README: "Anything
from outside a login is a request, not a change").
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from enrollment.models import Child, Enrollment, Relationship
from factories.models import Role, ScopedQuerySet, Worker


class ParentContactQuerySet(ScopedQuerySet):
    factory_field = "worker__factory"

    def for_member(self, user):
        return self.for_roles(user, Role.HR, Role.COORDINATOR)

    def reachable(self):
        """Parents who agreed to be told and have not stopped messages."""
        return self.filter(consented=True, stopped_at__isnull=True)


class ParentContact(models.Model):
    """Whether a guardian agreed to be told, by which channel, and what.

    PIPL: a child under 14's data is sensitive and the guardian consents for
    them; the consent keeps who gave it, when, and where (the public form or
    HR's paper application). Without it nothing is sent.
    """

    class Source(models.TextChoices):
        PUBLIC_FORM = "public_form", _("The public application form")
        PAPER = "paper", _("A paper application entered by HR")

    worker = models.OneToOneField(
        Worker, on_delete=models.CASCADE, related_name="parent_contact", verbose_name=_("parent")
    )
    consented = models.BooleanField(_("agrees to be told"), default=False)
    consent_given_by = models.CharField(_("consent given by"), max_length=100, blank=True)
    consent_at = models.DateTimeField(_("consent given at"), null=True, blank=True)
    consent_source = models.CharField(
        _("consent given on"), max_length=20, choices=Source.choices, blank=True
    )
    consent_recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("consent recorded by"),
    )
    # A public form asked to tell a parent HR has on the roster: a request only
    # (anyone may type an employee number); HR confirms it as a consent.
    requested_at = models.DateTimeField(_("asked on the public form at"), null=True, blank=True)
    requested_by_name = models.CharField(_("asked by"), max_length=100, blank=True)
    sms = models.BooleanField(_("by SMS"), default=True)
    # Set when the parent follows the programme's Official Account.
    wechat_openid = models.CharField(_("WeChat OpenID"), max_length=64, blank=True)
    # Children whose check-in and check-out the parent wants to hear of (off by default).
    check_in_out_children = models.ManyToManyField(
        Child, blank=True, related_name="+", verbose_name=_("told of check-in and check-out")
    )
    # One message after the day ends instead of one per event.
    evening_digest = models.BooleanField(_("evening digest"), default=False)
    language = models.CharField(
        _("language"), max_length=10, choices=settings.LANGUAGES, default="zh-hans"
    )
    # "Stop messages" from a link in any message: one tap, no login.
    stopped_at = models.DateTimeField(_("messages stopped at"), null=True, blank=True)
    # HR revokes every link given to the parent by moving this on.
    link_version = models.PositiveIntegerField(_("link version"), default=1)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ParentContactQuerySet.as_manager()

    class Meta:
        verbose_name = _("parent contact")
        verbose_name_plural = _("parent contacts")

    def __str__(self) -> str:
        return str(self.worker)

    @property
    def channels(self) -> list[str]:
        """The channels a message goes by now; empty without consent."""
        if not self.consented or self.stopped_at:
            return []
        chosen = []
        if self.sms and self.worker.phone:
            chosen.append("sms")
        if self.wechat_openid:
            chosen.append("wechat")
        return chosen

    @property
    def why_silent(self) -> str:
        """What HR sees when nothing is sent to this parent."""
        if not self.consented:
            return _("The parent has not agreed to be told.")
        if self.stopped_at:
            return _("The parent stopped messages on %(day)s.") % {
                "day": timezone.localdate(self.stopped_at).isoformat()
            }
        if not self.channels:
            return _("No phone number and no WeChat follow.")
        return ""


class ParentNoticeQuerySet(ScopedQuerySet):
    factory_field = "enrollment__season__factory"

    def for_member(self, user):
        # Teachers see a notice on their group's roll call, not in lists.
        return self.for_roles(user, Role.HR, Role.COORDINATOR)

    def on(self, day):
        return self.filter(date=day, withdrawn_at__isnull=True)


class ParentNotice(models.Model):
    """What a parent told the space about one child for one day, from their link:
    absent today, coming late, or someone else picking up. The roll call shows
    it on the child's row; a one-day pickup is accepted at check-out that day,
    for that child only, marked as given by the parent."""

    class Kind(models.TextChoices):
        ABSENT = "absent", _("Absent today")
        LATE = "late", _("Will be late")
        PICKUP = "pickup", _("Someone else picks up today")

    class Reason(models.TextChoices):
        SICK = "sick", _("Sick")
        FAMILY = "family", _("Family matters")
        OTHER = "other", _("Other")

    enrollment = models.ForeignKey(
        Enrollment, on_delete=models.CASCADE, related_name="parent_notices"
    )
    worker = models.ForeignKey(Worker, on_delete=models.CASCADE, related_name="+")
    date = models.DateField(_("date"))
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    reason = models.CharField(_("reason"), max_length=10, choices=Reason.choices, blank=True)
    # "I will be late": picked up (or brought) by this time.
    until = models.TimeField(_("by"), null=True, blank=True)
    pickup_name = models.CharField(_("name"), max_length=50, blank=True)
    pickup_relationship = models.CharField(
        _("relationship"), max_length=20, choices=Relationship.choices, blank=True
    )
    pickup_phone = models.CharField(_("phone"), max_length=20, blank=True)
    created_at = models.DateTimeField(_("given at"), default=timezone.now)
    # A newer answer of the same kind replaces this one (kept for the trail).
    withdrawn_at = models.DateTimeField(null=True, blank=True)

    objects = ParentNoticeQuerySet.as_manager()

    class Meta:
        verbose_name = _("parent's notice")
        verbose_name_plural = _("parents' notices")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["enrollment", "date"], name="parent_notice_day_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.date}"


def late_until(enrollments, day) -> dict:
    """The parents' "I will be late" answers of `day`: {enrollment id: by when}."""
    notices = ParentNotice.objects.on(day).filter(
        kind=ParentNotice.Kind.LATE, enrollment__in=enrollments, until__isnull=False
    )
    return dict(notices.values_list("enrollment_id", "until"))
