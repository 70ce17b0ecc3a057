"""The notification log: every email the system sends, logged once, then sent."""

from __future__ import annotations

import datetime
import hashlib
import smtplib
from email.utils import parseaddr

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import models
from django.db.models import F, Q
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from attendance.figures import figures_workbook, season_figures
from factories.models import Factory, Role, ScopedQuerySet
from impact.suppression import suppress_season_figures
from spaces.models import Season


def figures_for(user, season: Season, figures: dict) -> dict:
    """The season's figures as `user` may read them: HR and coordinators see the
    children, so their counts too; a manager gets the breakdowns of children with
    small cells suppressed, as on the season report (and so does a message whose
    recipient is gone)."""
    if user is not None and (
        Season.objects.for_roles(user, Role.HR, Role.COORDINATOR).filter(pk=season.pk).exists()
    ):
        return figures
    return suppress_season_figures(figures)


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
        figures = figures_for(notification.recipient, season, season_figures(season))
        workbook = figures_workbook(figures)
    xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return [(f"season-{season.pk}.xlsx", workbook, xlsx)]


# Kinds only their recipient sees in the log (safeguarding).
PRIVATE_KINDS = ("safeguarding_concern", "safeguarding_escalated")


class NotificationQuerySet(ScopedQuerySet):
    def for_member(self, user):
        # Safeguarding emails are seen by their recipient only: HR and the other
        # coordinators see no trace of a concern in the log.
        others = self.for_roles(user, Role.HR, Role.COORDINATOR).exclude(kind__in=PRIVATE_KINDS)
        return others | self.filter(recipient=user)


class Notification(models.Model):
    """Every reminder and summary the system sends, logged once.

    The idempotency key (kind, recipient, subject object, occasion) is unique
    in the database: a task run twice, retried, or raced by two workers can
    create the row only once, and only the run that claims a pending row
    sends it. The row is the outbox: the relay (notifications.relay) hands
    due rows to the broker, so no user's request ever talks to it.
    """

    # Tries of a transient error before the row ends failed (1, 2, 4, 8, 16 minutes apart).
    MAX_ATTEMPTS = 6

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
    # The broker message (Celery task id) that holds the claim: its redelivery
    # after a killed worker may take the claim over at once.
    claim_token = models.CharField(_("claim token"), max_length=64, blank=True)
    # Not tried before this (the back-off after a transient error).
    next_attempt_at = models.DateTimeField(_("next attempt at"), default=timezone.now)
    # When the relay last handed it to the broker (see notifications.relay).
    queued_at = models.DateTimeField(_("queued at"), null=True, blank=True, db_index=True)
    # Hand-overs since the last try (each lost one waits twice as long to go again).
    relays = models.PositiveSmallIntegerField(_("times handed to the broker"), default=0)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        # The table keeps the name it had in the factories app: the move kept every row.
        db_table = "factories_notification"
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["status", "created_at"], name="notification_status_idx"),
            models.Index(fields=["status", "next_attempt_at"], name="notification_due_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} → {self.email}"

    @staticmethod
    def claim_timeout() -> datetime.timedelta:
        """A claim older than this belongs to a worker that died mid-send."""
        return datetime.timedelta(seconds=settings.NOTIFICATION_CLAIM_SECONDS)

    @staticmethod
    def retry_delay(attempts: int) -> datetime.timedelta:
        """1, 2, 4, 8, 16 minutes (by default) after the 1st, 2nd, ... failed try."""
        return datetime.timedelta(
            seconds=settings.NOTIFICATION_RETRY_SECONDS * 2 ** max(attempts - 1, 0)
        )

    @property
    def message_id(self) -> str:
        """The same Message-ID for every copy of this notification, so a receiver
        drops a repeat (a worker killed between the server's "250" and the
        status update sends the message again)."""
        digest = hashlib.sha256(self.idempotency_key.encode()).hexdigest()[:40]
        domain = parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2] or "localhost"
        return f"<{digest}@{domain}>"

    def claim(self, token: str = "") -> bool:
        """Take this notification for sending; False if another run has it, it is
        done, or its back-off has not ended.

        A conditional UPDATE, so two workers (or a duplicate broker message)
        cannot both send it. The claim is taken over by the same broker
        message redelivered (its worker was killed: the broker hands back only
        unacknowledged messages) and, from anyone, once it is stale.
        """
        now = timezone.now()
        claimable = Q(status=self.Status.PENDING, next_attempt_at__lte=now) | Q(
            status=self.Status.SENDING, claimed_at__lt=now - self.claim_timeout()
        )
        if token:
            claimable |= Q(status=self.Status.SENDING, claim_token=token)
        claimed = (
            Notification.objects.filter(claimable, pk=self.pk).update(
                status=self.Status.SENDING,
                claimed_at=now,
                claim_token=token,
                attempts=F("attempts") + 1,
            )
            == 1
        )
        if claimed:
            self.refresh_from_db()
        return claimed

    def build_message(self) -> EmailMultiAlternatives:
        message = EmailMultiAlternatives(
            self.subject, self.body, to=[self.email], headers={"Message-ID": self.message_id}
        )
        if self.html_body:
            message.attach_alternative(self.html_body, "text/html")
        for filename, content, mimetype in attachments_for(self):
            message.attach(filename, content, mimetype)
        return message

    def mark_sent(self) -> None:
        """One UPDATE straight after the server accepted the message: the
        window in which a killed worker means a repeat is this query."""
        now = timezone.now()
        Notification.objects.filter(pk=self.pk).update(
            status=self.Status.SENT, sent_at=now, last_error="", claim_token=""
        )
        self.status, self.sent_at, self.last_error = self.Status.SENT, now, ""

    def release(self, *, error: str, permanent: bool = False) -> None:
        """After a failed try: pending again after the back-off, or failed for good
        (a permanent refusal, or the last try)."""
        failed = permanent or self.attempts >= self.MAX_ATTEMPTS
        self.status = self.Status.FAILED if failed else self.Status.PENDING
        self.last_error = error[:2000]
        self.next_attempt_at = timezone.now() + self.retry_delay(self.attempts)
        self.queued_at, self.relays, self.claim_token = None, 0, ""
        self.save(
            update_fields=[
                "status", "last_error", "next_attempt_at", "queued_at", "relays", "claim_token"
            ]
        )  # fmt: skip


def smtp_refusal(exc: Exception) -> str | None:
    """The server's words when it refused the message for good (SMTP 5xx on the
    sender, the recipient or the data), else None: the error is worth a retry."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        answers = list(exc.recipients.values())
        if answers and all(500 <= code < 600 for code, _msg in answers):
            return "; ".join(f"{code} {_text(msg)}" for code, msg in answers)
        return None
    if isinstance(exc, (smtplib.SMTPSenderRefused, smtplib.SMTPDataError)):
        if 500 <= exc.smtp_code < 600:
            return f"{exc.smtp_code} {_text(exc.smtp_error)}"
    return None


def _text(message: bytes | str) -> str:
    return message.decode("utf-8", "replace") if isinstance(message, bytes) else str(message)
