"""The notification log: every email the system sends, logged once, then sent."""

from __future__ import annotations

import datetime
import hashlib
import logging
import smtplib
import uuid
from email.utils import parseaddr

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import models
from django.db.models import F, Q
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from attendance.figures import figures_workbook, season_figures
from factories.models import Factory, ScopedQuerySet, Worker
from factories.scoping import CHILDREN_STAFF
from impact.suppression import suppress_season_figures
from parents.channels import reason_text
from spaces.models import Season

log = logging.getLogger(__name__)


def figures_for(user, season: Season, figures: dict, *, final: bool = True) -> dict:
    """The season's figures as `user` may read them: HR and coordinators see the
    children, so their counts too; a manager gets the breakdowns of children with
    small cells suppressed, as on the season report (and so does a message whose
    recipient is gone)."""
    if user is not None and (
        Season.objects.for_roles(user, *CHILDREN_STAFF).filter(pk=season.pk).exists()
    ):
        return figures
    return suppress_season_figures(figures, final=final)


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
        others = self.for_roles(user, *CHILDREN_STAFF).exclude(kind__in=PRIVATE_KINDS)
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

    class Channel(models.TextChoices):
        EMAIL = "email", _("Email")
        SMS = "sms", _("SMS")
        WECHAT = "wechat", _("WeChat")

    channel = models.CharField(
        _("channel"), max_length=10, choices=Channel.choices, default=Channel.EMAIL
    )
    email = models.EmailField(_("email"), blank=True)
    # A parent's message: the guardian (not a login) and where it goes (phone or OpenID).
    parent = models.ForeignKey(
        Worker,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("parent"),
    )
    address = models.CharField(_("to"), max_length=100, blank=True)
    # The values of the provider's approved template, in order (SMS and WeChat).
    params = models.JSONField(_("template values"), default=dict, blank=True)
    # The provider's message id and answer (SMS and WeChat), kept as evidence.
    provider_id = models.CharField(_("provider's message id"), max_length=100, blank=True)
    provider_answer = models.JSONField(_("provider's answer"), default=dict, blank=True)
    # The last refusal was for balance or quota: the costs screen warns.
    quota_refused = models.BooleanField(_("refused for balance or quota"), default=False)
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
        return f"{self.kind} → {self.email or self.get_channel_display()}"

    @property
    def is_parent_message(self) -> bool:
        return self.channel != self.Channel.EMAIL

    @property
    def error_text(self) -> str:
        """The last error, in words for HR where it is a provider's refusal."""
        return reason_text(self.last_error) if self.is_parent_message else self.last_error

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
        unacknowledged messages) and, from anyone, once it is stale: not
        extended (`extend_claim`, the sender's heartbeat) for the claim timeout.

        `token` is the broker message's id; the claim itself gets a token of
        its own (the message's id and a random part), which every later write
        of this run names: a run whose claim was taken over writes nothing.
        """
        now = timezone.now()
        claimable = Q(status=self.Status.PENDING, next_attempt_at__lte=now) | Q(
            status=self.Status.SENDING, claimed_at__lt=now - self.claim_timeout()
        )
        if token:
            claimable |= Q(status=self.Status.SENDING, claim_token__startswith=f"{token}:")
        mine = f"{token[:40]}:{uuid.uuid4().hex[:20]}"
        claimed = (
            Notification.objects.filter(claimable, pk=self.pk).update(
                status=self.Status.SENDING,
                claimed_at=now,
                claim_token=mine,
                attempts=F("attempts") + 1,
            )
            == 1
        )
        if claimed:
            self.refresh_from_db()
        return claimed

    def _claimed(self):
        """This row while this run's claim on it holds."""
        return Notification.objects.filter(
            pk=self.pk, status=self.Status.SENDING, claim_token=self.claim_token
        )

    def extend_claim(self) -> bool:
        """The sender's heartbeat: the claim stays fresh while a slow SMTP
        exchange runs, so no one takes it over; False if it is no longer ours."""
        return self._claimed().update(claimed_at=timezone.now()) == 1

    def build_message(self) -> EmailMultiAlternatives:
        message = EmailMultiAlternatives(
            self.subject, self.body, to=[self.email], headers={"Message-ID": self.message_id}
        )
        if self.html_body:
            message.attach_alternative(self.html_body, "text/html")
        for filename, content, mimetype in attachments_for(self):
            message.attach(filename, content, mimetype)
        return message

    def mark_sent(self) -> bool:
        """One UPDATE straight after the server accepted the message: the
        window in which a killed worker means a repeat is this query.

        Conditional on our claim. Should it have been taken over meanwhile
        (our heartbeat could not reach the database for the claim timeout),
        the delivery is still recorded unless already recorded: the server
        has the message, and a row left pending or failed would be sent
        again; the run that holds the claim then finds its own writes
        refused. Returns False in that case (logged)."""
        now = timezone.now()
        done = dict(status=self.Status.SENT, sent_at=now, last_error="", claim_token="")
        ours = self._claimed().update(**done) == 1
        if not ours:
            log.warning("notification %s: sent after its claim was taken over", self.pk)
            Notification.objects.filter(pk=self.pk).exclude(status=self.Status.SENT).update(**done)
        self.status, self.sent_at, self.last_error = self.Status.SENT, now, ""
        return ours

    def release(self, *, error: str, permanent: bool = False) -> bool:
        """After a failed try: pending again after the back-off, or failed for good
        (a permanent refusal, or the last try). Only while the claim is ours: a
        run whose claim was taken over must not put back a row another run is
        sending or has sent. Returns whether it was ours."""
        failed = permanent or self.attempts >= self.MAX_ATTEMPTS
        self.status = self.Status.FAILED if failed else self.Status.PENDING
        self.last_error = error[:2000]
        self.next_attempt_at = timezone.now() + self.retry_delay(self.attempts)
        ours = (
            self._claimed().update(
                status=self.status,
                last_error=self.last_error,
                next_attempt_at=self.next_attempt_at,
                queued_at=None,
                relays=0,
                claim_token="",
            )
            == 1
        )
        if not ours:
            log.warning("notification %s: not put back, its claim was taken over", self.pk)
        self.queued_at, self.relays, self.claim_token = None, 0, ""
        return ours


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
