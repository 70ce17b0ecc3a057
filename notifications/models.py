"""The notification log: every email the system sends, logged once, then sent."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import models
from django.db.models import F, Q
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from attendance.figures import figures_workbook, season_figures
from factories.models import Factory, Role, ScopedQuerySet
from spaces.models import Season


def attachments_for(notification: Notification) -> list[tuple[str, bytes, str]]:
    """What a message carries, built by the app that owns the data: the season
    summary's workbook comes from the season figures (attendance)."""
    if notification.kind != "season_summary" or not notification.object_ref.startswith(
        "spaces.season:"
    ):
        return []
    season = Season.objects.filter(pk=notification.object_ref.split(":")[1]).first()
    if season is None:
        return []
    with translation.override(notification.language):
        workbook = figures_workbook(season_figures(season))
    xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return [(f"season-{season.pk}.xlsx", workbook, xlsx)]


class NotificationQuerySet(ScopedQuerySet):
    def for_member(self, user):
        return self.for_roles(user, Role.HR, Role.COORDINATOR) | self.filter(recipient=user)


class Notification(models.Model):
    """Every reminder and summary the system sends, logged once.

    The idempotency key (kind, recipient, subject object, date) is unique in
    the database: a task run twice, retried, or raced by two workers can
    create the row only once, and only the run that claims a pending row
    sends it.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    factory = models.ForeignKey(
        Factory,
        on_delete=models.CASCADE,
        related_name="notifications",
        verbose_name=_("factory"),
        null=True,
        blank=True,
    )
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="notifications",
        verbose_name=_("recipient"),
    )
    email = models.EmailField(_("email"))
    kind = models.CharField(_("kind"), max_length=50)
    # What the message is about, such as "spaces.season:12": attachments are built from it.
    object_ref = models.CharField(_("about"), max_length=100, blank=True)
    idempotency_key = models.CharField(_("idempotency key"), max_length=200, unique=True)
    language = models.CharField(_("language"), max_length=10, choices=settings.LANGUAGES)
    subject = models.CharField(_("subject"), max_length=300)
    body = models.TextField(_("body"))
    html_body = models.TextField(_("HTML body"), blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    claimed_at = models.DateTimeField(_("claimed at"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        # The table keeps the name it had in the factories app: the move kept every row.
        db_table = "factories_notification"
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "created_at"], name="notification_status_idx")]

    def __str__(self) -> str:
        return f"{self.kind} → {self.email}"

    @staticmethod
    def claim_timeout() -> datetime.timedelta:
        """A claim older than this belongs to a worker that died mid-send."""
        return datetime.timedelta(seconds=settings.NOTIFICATION_CLAIM_SECONDS)

    def claim(self) -> bool:
        """Take this notification for sending; False if another run has it or it is done.

        A conditional UPDATE, so two workers (or a redelivered task) cannot
        both send it. A stale claim is taken over: its worker died, and losing
        the message is worse than the small chance of sending it twice.
        """
        now = timezone.now()
        claimable = Q(status=self.Status.PENDING) | Q(
            status=self.Status.SENDING, claimed_at__lt=now - self.claim_timeout()
        )
        claimed = (
            Notification.objects.filter(claimable, pk=self.pk).update(
                status=self.Status.SENDING, claimed_at=now, attempts=F("attempts") + 1
            )
            == 1
        )
        if claimed:
            self.refresh_from_db()
        return claimed

    def send(self) -> None:
        """Send a claimed notification and record it as sent."""
        message = EmailMultiAlternatives(self.subject, self.body, to=[self.email])
        if self.html_body:
            message.attach_alternative(self.html_body, "text/html")
        for filename, content, mimetype in attachments_for(self):
            message.attach(filename, content, mimetype)
        message.send()
        self.status = self.Status.SENT
        self.sent_at = timezone.now()
        self.last_error = ""
        self.save(update_fields=["status", "sent_at", "last_error"])

    def release(self, *, error: str, failed: bool) -> None:
        """After a failed try: back to pending for a retry, or failed for good."""
        self.status = self.Status.FAILED if failed else self.Status.PENDING
        self.last_error = error[:2000]
        self.save(update_fields=["status", "last_error"])
