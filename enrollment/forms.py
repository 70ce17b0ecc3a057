import datetime

from django import forms
from django.core import validators
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ccrcsr.fields import (
    EMPLOYEE_NUMBER,
    PlainCharField,
    TickedRowsField,
    WrittenDateField,
    clean_phone,
    clean_plain,
    is_resident_id,
    normalise_employee_number,
    years_before,
)
from factories.models import PROVINCES, Worker
from spaces.models import Group, Season

from . import imports
from .applications import ApplicationData, same_name
from .models import (
    DETAILS_TO_COMPLETE,
    Child,
    Consent,
    Enrollment,
    LivesWith,
    Relationship,
    Sex,
)

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class ApplicationForm(forms.Form):
    """One child's application. The public form and HR's form are the same."""

    employee_number = forms.CharField(label=_("Your employee number"), max_length=40)
    worker_name = PlainCharField(label=_("Your name"), max_length=50)
    relationship = forms.ChoiceField(
        label=_("You are the child's"),
        choices=[(Relationship.MOTHER, _("Mother")), (Relationship.FATHER, _("Father")),
                 (Relationship.OTHER, _("Other guardian"))],
    )  # fmt: skip
    phone = forms.CharField(label=_("Your mobile phone"), max_length=20)
    child_name = PlainCharField(label=_("Child's name"), max_length=50)
    sex = forms.ChoiceField(label=_("Sex"), choices=Sex.choices, widget=forms.RadioSelect)
    date_of_birth = WrittenDateField(label=_("Date of birth"), widget=DATE_WIDGET)
    home_province = forms.ChoiceField(label=_("Home province"), choices=[("", "—")] + PROVINCES)
    lives_with = forms.ChoiceField(
        label=_("Who does the child normally live with?"),
        choices=[("", "—")] + LivesWith.choices,
    )
    arrival_date = WrittenDateField(label=_("Arrives on"), widget=DATE_WIDGET)
    departure_date = WrittenDateField(label=_("Leaves on"), widget=DATE_WIDGET)
    allergies = forms.CharField(
        label=_("Allergies"), max_length=1000, required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Food, medicine or anything else. Leave empty if none."),
    )  # fmt: skip
    medical_notes = forms.CharField(
        label=_("Illnesses or medicines the teachers should know about"), max_length=1000,
        required=False, widget=forms.Textarea(attrs={"rows": 2}),
    )  # fmt: skip
    pickup_name = PlainCharField(
        label=_("Another person who may pick the child up (optional)"),
        max_length=50, required=False,
        help_text=_("Parents may always pick up. Add a grandparent or relative here."),
    )  # fmt: skip
    pickup_relationship = forms.ChoiceField(
        label=_("Their relationship to the child"),
        choices=[("", "—")] + Relationship.choices, required=False,
    )  # fmt: skip
    pickup_phone = forms.CharField(label=_("Their phone"), max_length=20, required=False)
    consent_data = forms.BooleanField(
        label=_(
            "I agree that the programme keeps my child's details (name, birth date, health "
            "notes) to look after my child, and deletes them after the programme."
        ),
        required=True,
        error_messages={"required": _("Without this agreement we cannot take your child.")},
    )
    consent_photos = forms.BooleanField(
        label=_("I agree that teachers may take photos of my child during activities."),
        required=False,
    )
    consent_medical = forms.BooleanField(
        label=_(
            "In an emergency, if I cannot be reached, teachers may take my child to a "
            "doctor or hospital for treatment."
        ),
        required=False,
    )
    # The parent channel (PIPL: the guardian consents for a child under 14).
    parent_messages = forms.BooleanField(
        label=_(
            "Tell me by SMS at this phone what happens to my child (the decision, "
            "whether my child arrived, an accident, a late pickup). I can stop any time."
        ),
        required=False,
    )

    def __init__(self, *args, season: Season, hr: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.season = season
        # HR's entry vouches for the worker, so it is checked here; a public
        # application under another's name is flagged for HR instead (roster check).
        self.hr = hr

    def clean_employee_number(self) -> str:
        number = normalise_employee_number(self.cleaned_data["employee_number"])
        if is_resident_id(number):  # sensitive, and not what we ask for: never stored
            raise forms.ValidationError(
                _("This is an ID card number. Enter the employee number on your work badge.")
            )
        if not EMPLOYEE_NUMBER.match(number):
            raise forms.ValidationError(_("Use the letters and digits on your work badge."))
        return number

    def clean_phone(self) -> str:
        return clean_phone(self.cleaned_data["phone"])

    def clean_pickup_phone(self) -> str:
        phone = self.cleaned_data["pickup_phone"]
        return clean_phone(phone) if phone else ""

    def clean_date_of_birth(self) -> datetime.date:
        born = self.cleaned_data["date_of_birth"]
        if born > timezone.localdate():
            raise forms.ValidationError(_("A date of birth cannot be in the future."))
        age = self.season.age_on_start(born)
        if not self.season.min_age <= age <= self.season.max_age:
            raise forms.ValidationError(
                _("This season takes children aged %(min)d to %(max)d; this child will be %(age)d.")
                % {"min": self.season.min_age, "max": self.season.max_age, "age": age}
            )
        return born

    def clean(self):
        cleaned = super().clean()
        arrival, departure = cleaned.get("arrival_date"), cleaned.get("departure_date")
        if arrival and departure:
            if departure < arrival:
                self.add_error("departure_date", _("The child cannot leave before arriving."))
            elif departure < self.season.start_date or arrival > self.season.end_date:
                self.add_error(
                    "arrival_date",
                    _("The programme runs from %(start)s to %(end)s; choose dates inside it.")
                    % {"start": self.season.start_date, "end": self.season.end_date},
                )
        number, name = cleaned.get("employee_number"), cleaned.get("worker_name")
        if self.hr and number and name:
            worker = Worker.objects.filter(factory=self.season.factory, employee_number=number)
            registered = worker.values_list("name", flat=True).first()
            if registered is not None and not same_name(registered, name):
                self.add_error(
                    "worker_name",
                    _("Employee number %(number)s is registered as %(name)s: check the number.")
                    % {"number": number, "name": registered},
                )
        if cleaned.get("pickup_name") and not cleaned.get("pickup_relationship"):
            self.add_error("pickup_relationship", _("Say how this person is related to the child."))
        return cleaned

    def application(self) -> ApplicationData:
        data = self.cleaned_data
        pickups = []
        if data["pickup_name"]:
            pickups.append((data["pickup_name"], data["pickup_relationship"], data["pickup_phone"]))
        consents = [Consent.Kind.DATA_PROCESSING]
        if data["consent_photos"]:
            consents.append(Consent.Kind.PHOTOS)
        if data["consent_medical"]:
            consents.append(Consent.Kind.MEDICAL)
        return ApplicationData(
            employee_number=data["employee_number"],
            worker_name=data["worker_name"],
            relationship=data["relationship"],
            phone=data["phone"],
            child_name=data["child_name"],
            sex=data["sex"],
            date_of_birth=data["date_of_birth"],
            home_province=data["home_province"],
            lives_with=data["lives_with"],
            arrival_date=data["arrival_date"],
            departure_date=data["departure_date"],
            allergies=data["allergies"],
            medical_notes=data["medical_notes"],
            pickups=pickups,
            consents=consents,
            parent_messages=data.get("parent_messages", False),
        )


WORKER_FIELDS = ("employee_number", "worker_name", "relationship", "phone")


class SearchForm(forms.Form):
    q = forms.CharField(
        label=_("Search"),
        max_length=100,
        required=False,
        help_text=_("Child or parent name, reference, employee number, or 4+ digits of a phone"),
    )


class ReviewFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), max_length=100, required=False)
    status = forms.ChoiceField(
        label=_("Status"), choices=[("", _("All"))] + Enrollment.Status.choices, required=False
    )
    band = forms.ChoiceField(label=_("Age band"), required=False)
    missing_consent = forms.ChoiceField(
        label=_("Missing consent"), choices=[("", "—")] + Consent.Kind.choices, required=False
    )
    province = forms.ChoiceField(
        label=_("Home province"), choices=[("", _("All"))] + PROVINCES, required=False
    )
    burst = forms.BooleanField(label=_("Only those that came in a burst"), required=False)

    def __init__(self, *args, season: Season, bursts=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.season = season
        self.bursts = bursts
        bands = sorted({(g.min_age, g.max_age) for g in season.groups.all()})
        self.fields["band"].choices = [("", _("All"))] + [
            (f"{low}-{high}", f"{low}–{high}") for low, high in bands
        ]

    def filter(self, enrollments):
        if not self.is_valid():
            return enrollments
        data = self.cleaned_data
        if data["q"].strip():
            enrollments = enrollments.search(data["q"])
        if data["status"]:
            enrollments = enrollments.filter(status=data["status"])
        if data["band"]:
            low, high = (int(n) for n in data["band"].split("-"))
            start = self.season.start_date
            # Aged low..high on the start date: born in (start - high - 1 years, start - low years].
            enrollments = enrollments.filter(
                child__date_of_birth__lte=years_before(start, low),
                child__date_of_birth__gt=years_before(start, high + 1),
            )
        if data["missing_consent"]:
            # A subquery: exclude() on two conditions across a to-many relation may
            # match them on different consents (a withdrawn photo consent and a live
            # data consent would hide the child).
            given = Consent.objects.filter(
                kind=data["missing_consent"], withdrawn_at__isnull=True
            ).values("enrollment_id")
            enrollments = enrollments.exclude(pk__in=given)
        if data["province"]:
            enrollments = enrollments.filter(child__home_province=data["province"])
        if data["burst"]:
            enrollments = enrollments.filter(
                pk__in=[i for b in self.bursts for i in b.enrollment_ids]
            )
        return enrollments


class ReviewActionForm(forms.Form):
    ENROLL, WAITLIST, DECLINE, WITHDRAW = "enroll", "waitlist", "decline", "withdraw"
    action = forms.ChoiceField(
        label=_("Action"),
        choices=[
            (ENROLL, _("Enroll")),
            (WAITLIST, _("Put on the waitlist")),
            (DECLINE, _("Decline")),
            (WITHDRAW, _("Withdraw")),
        ],
    )
    group = forms.ModelChoiceField(
        label=_("Into group"),
        queryset=Group.objects.none(),
        required=False,
        empty_label=_("Place by age"),
    )
    reason = forms.CharField(label=_("Reason"), max_length=300, required=False)
    selected = TickedRowsField(
        queryset=Enrollment.objects.none(),
        error_messages={"required": _("Tick at least one child.")},
    )

    def __init__(self, *args, season: Season, enrollments, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["group"].queryset = season.groups.all()
        self.fields["selected"].queryset = enrollments

    def clean(self):
        cleaned = super().clean()
        action = cleaned.get("action")
        # A reason refused as too long is not missing: one message, not two.
        if (
            action in (self.DECLINE, self.WITHDRAW)
            and not cleaned.get("reason")
            and ("reason" not in self.errors)
        ):
            self.add_error("reason", _("Give a reason; the guardian will be told it."))
        return cleaned


# What the public form and the roster import take in a health note.
HEALTH_NOTE_LIMIT = 1000


class ChangeDecisionForm(forms.Form):
    """HR accepts or refuses one change a public submission proposes."""

    ACCEPT, REFUSE = "accept", "refuse"
    change = forms.ModelChoiceField(queryset=None, widget=forms.HiddenInput)
    decision = forms.ChoiceField(choices=[(ACCEPT, _("Accept")), (REFUSE, _("Refuse"))])

    def __init__(self, *args, changes, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["change"].queryset = changes


class ChildForm(forms.ModelForm):
    # As long as a name may be (the model's): the import takes names the public
    # form's 50 characters would refuse, and HR must be able to edit those children.
    name = PlainCharField(label=_("name"), max_length=Child._meta.get_field("name").max_length)

    class Meta:
        model = Child
        field_classes = {"date_of_birth": WrittenDateField}
        fields = [
            "name", "sex", "date_of_birth", "home_province", "home_county", "lives_with",
            "school_grade", "allergies", "medical_notes", "special_needs",
        ]  # fmt: skip
        widgets = {"date_of_birth": DATE_WIDGET}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("allergies", "medical_notes", "special_needs"):
            field = self.fields[name]
            field.max_length = HEALTH_NOTE_LIMIT
            field.validators.append(validators.MaxLengthValidator(HEALTH_NOTE_LIMIT))
            field.widget.attrs["maxlength"] = str(HEALTH_NOTE_LIMIT)

    def clean_date_of_birth(self) -> datetime.date:
        born = self.cleaned_data["date_of_birth"]
        today = timezone.localdate()
        if born > today:
            raise forms.ValidationError(_("A date of birth cannot be in the future."))
        if born < years_before(today, 18):  # as the roster import: a typo, not a child
            raise forms.ValidationError(
                _("A child's date of birth cannot be more than 18 years ago.")
            )
        return born

    def clean_home_county(self) -> str:
        return clean_plain(self.cleaned_data["home_county"])


class ChildDetailsForm(forms.ModelForm):
    """What an imported roster left to complete: both required here, since
    completing them is the point (the full edit form leaves them optional)."""

    class Meta:
        model = Child
        fields = ["home_province", "home_county", "lives_with"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in DETAILS_TO_COMPLETE:
            self.fields[name].required = True

    def clean_home_county(self) -> str:
        return clean_plain(self.cleaned_data["home_county"])


class EnrollmentDatesForm(forms.ModelForm):
    class Meta:
        model = Enrollment
        fields = ["arrival_date", "departure_date"]
        field_classes = {"arrival_date": WrittenDateField, "departure_date": WrittenDateField}
        widgets = {"arrival_date": DATE_WIDGET, "departure_date": DATE_WIDGET}

    def clean(self):
        cleaned = super().clean()
        arrival, departure = cleaned.get("arrival_date"), cleaned.get("departure_date")
        season = self.instance.season
        if arrival and departure and departure < arrival:
            self.add_error("departure_date", _("The child cannot leave before arriving."))
        elif arrival and departure and (departure < season.start_date or arrival > season.end_date):
            # The public form's rule: a stay that misses the season is a typo.
            self.add_error(
                "arrival_date",
                _("The programme runs from %(start)s to %(end)s; choose dates inside it.")
                % {"start": season.start_date, "end": season.end_date},
            )
        return cleaned


class ImportForm(forms.Form):
    file = forms.FileField(
        label=_("Excel (.xlsx) or CSV file"),
        error_messages={
            "required": _("Choose the file to import."),
            "empty": _("The file is empty."),
        },
    )
    season = forms.ModelChoiceField(
        label=_("Also enter the children as applications to"),
        queryset=Season.objects.none(),
        required=False,
        empty_label=_("No season: only register them"),
    )

    update_workers = forms.BooleanField(
        label=_("Update phone, department and shift of workers already registered"),
        help_text=_(
            "Rows of children already registered are left as they are; new rows are added."
        ),
        required=False,
    )

    def __init__(self, *args, factory, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["season"].queryset = Season.objects.filter(factory=factory).current()


class ColumnMappingForm(forms.Form):
    """Which column of HR's file holds which field, and which row is the header."""

    header_row = forms.IntegerField(label=_("Row of the header"), min_value=1, max_value=10)

    def __init__(self, *args, layout, **kwargs):
        super().__init__(*args, **kwargs)
        self.initial.setdefault("header_row", layout.header_row_number)
        used = layout.mapping()
        choices = [("", _("Not imported"))] + list(imports.FIELD_LABELS.items())
        for index, header in enumerate(layout.headers):
            if header:
                self.fields[f"col_{index}"] = forms.ChoiceField(
                    label=layout.label(index),  # 子女信息 / 姓名: the group heading too
                    choices=choices,
                    required=False,
                    initial=used.get(index, ""),
                )

    def mapping(self) -> dict[int, str]:
        return {
            int(name.removeprefix("col_")): value
            for name, value in self.cleaned_data.items()
            if name.startswith("col_") and value
        }

    def column_fields(self):
        return [self[name] for name in self.fields if name.startswith("col_")]


class EraseForm(forms.Form):
    reason = forms.CharField(
        label=_("Why (who asked, and when)"),
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    confirm = forms.BooleanField(
        label=_("I understand this cannot be undone."),
        error_messages={"required": _("Tick the box to confirm.")},
    )


class MoveForm(forms.Form):
    group = forms.ModelChoiceField(label=_("Move to"), queryset=Group.objects.none())

    def __init__(self, *args, enrollment: Enrollment, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["group"].queryset = enrollment.season.groups.exclude(pk=enrollment.group_id)
        self.fields["group"].label_from_instance = lambda g: f"{g.name} ({g.min_age}–{g.max_age})"


class RosterCheckForm(forms.Form):
    """HR settles an application whose worker is not on the roster."""

    CONFIRM, CORRECT = "confirm", "correct"
    decision = forms.ChoiceField(
        label=_("After checking with the applicant"),
        choices=[
            (CONFIRM, _("Confirm: the applicant is the worker of the number given")),
            (CORRECT, _("Correct: the child's parent is another worker on the roster")),
        ],
        widget=forms.RadioSelect,
    )
    employee_number = forms.CharField(
        label=_("Employee number of the right worker"), max_length=40, required=False
    )

    def __init__(self, *args, factory, **kwargs):
        super().__init__(*args, **kwargs)
        self.factory = factory

    def clean(self):
        cleaned = super().clean()
        cleaned["worker"] = None
        if cleaned.get("decision") == self.CORRECT:
            number = normalise_employee_number(cleaned.get("employee_number", ""))
            worker = (
                Worker.objects.filter(
                    factory=self.factory, on_roster=True, employee_number=number
                ).first()
                if EMPLOYEE_NUMBER.match(number)
                else None
            )
            if worker is None:
                self.add_error(
                    "employee_number", _("No worker with this employee number is on the roster.")
                )
            cleaned["worker"] = worker
        return cleaned
