"""Worker surveys: a versioned questionnaire, two rounds a season, pseudonymous answers.

Confidential by construction: an answer carries no worker id, name or phone,
only a pseudonymous key (an HMAC of the factory and employee number with the
survey's own random salt) that links a worker's baseline to their final
answer and lets a second answer replace the first. No view shows an answer
to HR, managers or coordinators: `Response.objects.visible_to()` is empty for
everyone but the superuser, and every figure leaves the app through
`impact.indicators` and `impact.suppression`.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import secrets

from django.db import models
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from factories.models import ScopedQuerySet
from factories.scoping import STAFF
from spaces.models import Season

# When each round takes answers, in days around the season's dates: the
# baseline before and in the first week (before the space changes anything),
# the final in the last week and for a month after close.
BASELINE_DAYS_AFTER_START = 7
FINAL_DAYS_BEFORE_END = 6
FINAL_DAYS_AFTER_END = 30


def new_salt() -> str:
    return secrets.token_hex(32)


class Round(models.TextChoices):
    BASELINE = "baseline", _("Baseline")
    FINAL = "final", _("Final")


class Instrument(models.Model):
    """One version of a questionnaire. Its questions never change: a new
    wording is a new version, so every answer stays comparable with the
    answers given to the same version."""

    code = models.SlugField(_("code"), max_length=40)
    version = models.PositiveSmallIntegerField(_("version"))
    title_zh = models.CharField(_("title (Chinese)"), max_length=200)
    title_en = models.CharField(_("title (English)"), max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("questionnaire")
        verbose_name_plural = _("questionnaires")
        ordering = ["code", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["code", "version"], name="instrument_unique_version")
        ]

    def __str__(self) -> str:
        return f"{self.title_zh} v{self.version}"

    @classmethod
    def standard(cls) -> Instrument:
        """The newest version of the standard instrument shipped with the app.

        The data migration creates it; it is made again here if the rows are
        gone (a test run that flushes tables), so a survey never lacks one.
        """
        from .standard import create_v1

        latest = cls.objects.filter(code="standard").order_by("-version").first()
        return latest or create_v1(cls, Question)


class Question(models.Model):
    """A question of an instrument, or one a coordinator added for one season.

    Wording is never edited in place (the admin shows it read-only): a
    season's question is revised by `revise()`, which retires it and adds
    the next version under the same key.
    """

    class Kind(models.TextChoices):
        CHOICE = "choice", _("One choice")
        NUMBER = "number", _("A number")

    instrument = models.ForeignKey(
        Instrument, on_delete=models.CASCADE, null=True, blank=True, related_name="questions"
    )
    season = models.ForeignKey(
        Season, on_delete=models.CASCADE, null=True, blank=True, related_name="survey_questions"
    )
    key = models.SlugField(_("key"), max_length=40)
    version = models.PositiveSmallIntegerField(_("version"), default=1)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    text_zh = models.CharField(_("question (Chinese)"), max_length=300)
    text_en = models.CharField(_("question (English)"), max_length=300)
    # [[value, Chinese, English], ...] for a choice; [min, max] for a number.
    options = models.JSONField(_("options"), default=list, blank=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    retired_at = models.DateTimeField(_("replaced on"), null=True, blank=True)

    class Meta:
        verbose_name = _("question")
        verbose_name_plural = _("questions")
        ordering = ["order", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(instrument__isnull=True) ^ Q(season__isnull=True),
                name="question_of_instrument_or_season",
            ),
            models.UniqueConstraint(
                fields=["instrument", "key"],
                condition=Q(instrument__isnull=False),
                name="question_unique_in_instrument",
            ),
            models.UniqueConstraint(
                fields=["season", "key", "version"],
                condition=Q(season__isnull=False),
                name="question_unique_version_in_season",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.key} v{self.version}"

    @property
    def answer_key(self) -> str:
        """Where its answers are kept: a season's revised question is a new key."""
        return self.key if self.instrument_id else f"{self.key}.v{self.version}"

    @property
    def text(self) -> str:
        return self.text_en if translation.get_language() == "en" else self.text_zh

    def choices(self) -> list[tuple[str, str]]:
        english = translation.get_language() == "en"
        return [(value, en if english else zh) for value, zh, en in self.options]

    def revise(self, *, text_zh: str, text_en: str, options: list) -> Question:
        """The next version of a season's question; this one stops being asked."""
        self.retired_at = timezone.now()
        self.save(update_fields=["retired_at"])
        return Question.objects.create(
            season=self.season, key=self.key, version=self.version + 1, kind=self.kind,
            text_zh=text_zh, text_en=text_en, options=options, order=self.order,
        )  # fmt: skip


class SurveyQuerySet(ScopedQuerySet):
    factory_field = "season__factory"

    def for_member(self, user):
        return self.for_roles(user, *STAFF)


class Survey(models.Model):
    """A season's two rounds. The instrument is pinned when the survey is made,
    so a new version of the standard never splits a season's rounds."""

    season = models.OneToOneField(Season, on_delete=models.CASCADE, related_name="impact_survey")
    instrument = models.ForeignKey(Instrument, on_delete=models.PROTECT, related_name="surveys")
    # The HMAC key of this survey's pseudonyms: random and per season, so a
    # leaked key or a new SECRET_KEY exposes or breaks one season only, and
    # seasons cannot be linked with each other.
    salt = models.CharField(max_length=64, default=new_salt, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = SurveyQuerySet.as_manager()

    class Meta:
        verbose_name = _("survey")
        verbose_name_plural = _("surveys")

    def __str__(self) -> str:
        return str(self.season)

    @classmethod
    def for_season(cls, season: Season) -> Survey:
        survey, _created = cls.objects.get_or_create(
            season=season, defaults={"instrument": Instrument.standard()}
        )
        return survey

    def pseudonym(self, employee_number: str) -> str:
        message = f"{self.season.factory_id}:{employee_number.strip().upper()}"
        return hmac.new(self.salt.encode(), message.encode(), hashlib.sha256).hexdigest()

    def questions(self) -> list[Question]:
        """What the form asks: the instrument's questions, then the season's current ones."""
        season_questions = self.season.survey_questions.filter(retired_at__isnull=True)
        return list(self.instrument.questions.all()) + list(season_questions)

    def round_until(self, round_: str) -> datetime.date:
        """The last day a round takes answers; its figures are published after it."""
        season = self.season
        if round_ == Round.BASELINE:
            final_from = season.end_date - datetime.timedelta(days=FINAL_DAYS_BEFORE_END)
            return min(
                season.start_date + datetime.timedelta(days=BASELINE_DAYS_AFTER_START),
                final_from - datetime.timedelta(days=1),
            )
        return season.end_date + datetime.timedelta(days=FINAL_DAYS_AFTER_END)

    def round_over(self, round_: str, today: datetime.date | None = None) -> bool:
        return (today or timezone.localdate()) > self.round_until(round_)

    def open_round(self, today: datetime.date | None = None) -> str | None:
        today = today or timezone.localdate()
        season = self.season
        final_from = season.end_date - datetime.timedelta(days=FINAL_DAYS_BEFORE_END)
        baseline_until = season.start_date + datetime.timedelta(days=BASELINE_DAYS_AFTER_START)
        if season.status in (Season.Status.OPEN, Season.Status.RUNNING) and (
            today <= baseline_until and today < final_from
        ):
            return Round.BASELINE
        final_until = self.round_until(Round.FINAL)
        if (
            season.status in (Season.Status.RUNNING, Season.Status.CLOSED)
            and final_from <= today <= final_until
        ):
            return Round.FINAL
        return None


class ResponseQuerySet(ScopedQuerySet):
    factory_field = "survey__season__factory"

    def for_member(self, user):
        # No role sees an individual answer: HR and managers are the people
        # the answers are about (trust in management), and coordinators need
        # only the figures. The superuser handles a worker's data requests.
        return self.none()


class Response(models.Model):
    """One worker's answers in one round; a second answer replaces the first."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="responses")
    round = models.CharField(_("round"), max_length=10, choices=Round.choices)
    pseudonym = models.CharField(max_length=64)
    answers = models.JSONField(_("answers"), default=dict)
    language = models.CharField(_("language"), max_length=10)
    answered_at = models.DateTimeField(_("answered at"), default=timezone.now)
    # A hash of the random key the answering phone keeps in a cookie: only
    # that phone may replace these answers (nobody can verify a worker from
    # an employee number alone, and numbers are sequential).
    device = models.CharField(max_length=64, blank=True, editable=False)
    # Another phone answered under the same number: one of the two is not the
    # worker, and we cannot tell which, so neither counts in the figures.
    contested = models.BooleanField(_("answered from two phones"), default=False)

    objects = ResponseQuerySet.as_manager()

    class Meta:
        verbose_name = _("survey answer")
        verbose_name_plural = _("survey answers")
        constraints = [
            models.UniqueConstraint(
                fields=["survey", "round", "pseudonym"], name="response_once_per_round"
            )
        ]

    def __str__(self) -> str:
        return f"{self.survey} · {self.get_round_display()} · #{self.pk}"


class RoundFigures(models.Model):
    """A round's figures, computed once when the round is over and never again.

    Every published survey figure is read from here: figures recomputed live
    would let a reader compare the card before and after one more answer (or
    one erased worker) and read that one worker's answers. Aggregates only:
    counts and values per indicator, group and round, no answer of anyone.
    """

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="figures")
    round = models.CharField(_("round"), max_length=10, choices=Round.choices)
    results = models.JSONField(default=dict)
    computed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("published survey figures")
        verbose_name_plural = _("published survey figures")
        constraints = [
            models.UniqueConstraint(fields=["survey", "round"], name="round_figures_once")
        ]

    def __str__(self) -> str:
        return f"{self.survey} · {self.get_round_display()}"


class PublishedBreakdowns(models.Model):
    """A season's breakdowns of children as a manager reads them, computed once
    at the first read after the season closed and never again (suppressed,
    in both languages). Recomputed figures would let a manager subtract two
    reports (two end dates, a day before and after one more enrollment or
    absence) and read one child's cell."""

    season = models.OneToOneField(
        Season, on_delete=models.CASCADE, related_name="published_breakdowns"
    )
    data = models.JSONField(default=dict)
    computed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("published breakdowns of children")
        verbose_name_plural = _("published breakdowns of children")

    def __str__(self) -> str:
        return str(self.season)
