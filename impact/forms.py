from django import forms
from django.utils.translation import gettext_lazy as _

from ccrcsr.fields import EMPLOYEE_NUMBER, clean_plain, normalise_employee_number

from .models import Question


class SurveyForm(forms.Form):
    """The questionnaire: the employee number, then one field per question."""

    employee_number = forms.CharField(
        label=_("Your employee number"),
        max_length=40,
        help_text=_(
            "Only to count each worker once: it is not kept with your answers. Check it: "
            "answers under a number that is not yours are not counted."
        ),
    )

    def __init__(self, *args, survey, questions: list[Question], **kwargs):
        super().__init__(*args, **kwargs)
        self.survey = survey
        self.questions = questions
        for question in questions:
            self.fields[question.answer_key] = self._field(question)

    @staticmethod
    def _field(question: Question) -> forms.Field:
        if question.kind == Question.Kind.NUMBER:
            low, high = (question.options or [0, 1000])[:2]
            return forms.IntegerField(
                label=question.text,
                min_value=low,
                max_value=high,
                widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
            )
        return forms.ChoiceField(
            label=question.text, choices=question.choices(), widget=forms.RadioSelect
        )

    def clean_employee_number(self) -> str:
        # Only the format is checked here: whether the number is on the roster
        # is never said (see services.response_save), so the page is no oracle.
        number = normalise_employee_number(self.cleaned_data["employee_number"])
        if not EMPLOYEE_NUMBER.match(number):
            raise forms.ValidationError(_("Use the letters and digits on your work badge."))
        return number

    def answers(self) -> dict:
        return {q.answer_key: self.cleaned_data[q.answer_key] for q in self.questions}


class QuestionForm(forms.Form):
    """A coordinator's own question for one season: one choice among a few answers."""

    text_zh = forms.CharField(label=_("Question (Chinese)"), max_length=300)
    text_en = forms.CharField(label=_("Question (English)"), max_length=300)
    options = forms.CharField(
        label=_("Answers, one a line: Chinese | English"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("For example: 是 | Yes"),
    )

    def clean_text_zh(self) -> str:
        return clean_plain(self.cleaned_data["text_zh"])

    def clean_text_en(self) -> str:
        return clean_plain(self.cleaned_data["text_en"])

    def clean_options(self) -> list:
        options = []
        for n, line in enumerate(self.cleaned_data["options"].splitlines(), start=1):
            if not line.strip():
                continue
            zh, sep, en = (clean_plain(part) for part in line.partition("|"))
            if not sep or not zh or not en:
                raise forms.ValidationError(
                    _("Line %(n)d: write the Chinese and the English answer, separated by |.")
                    % {"n": n}
                )
            options.append([f"o{len(options) + 1}", zh, en])
        if not 2 <= len(options) <= 8:
            raise forms.ValidationError(_("Give between 2 and 8 answers."))
        return options
