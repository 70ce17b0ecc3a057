from __future__ import annotations

import datetime

from django import forms
from django.utils.translation import gettext_lazy as _

from enrollment.models import Relationship

from .channels import Refused, normalise_mobile
from .models import ParentContact, ParentNotice


class NoticeForm(forms.Form):
    """One of the page's three answers; which fields count depends on the kind."""

    kind = forms.ChoiceField(choices=ParentNotice.Kind.choices)
    reason = forms.ChoiceField(label=_("Why"), choices=ParentNotice.Reason.choices, required=False)
    until = forms.TimeField(label=_("By what time"), required=False)
    pickup_name = forms.CharField(label=_("Name"), max_length=50, required=False)
    pickup_relationship = forms.ChoiceField(
        label=_("Relationship to the child"), choices=Relationship.choices, required=False
    )
    pickup_phone = forms.CharField(label=_("Mobile phone"), max_length=20, required=False)

    def __init__(self, *args, now: datetime.datetime, checked_in: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.now = now
        self.checked_in = checked_in

    def clean(self):
        data = super().clean()
        kind = data.get("kind")
        if kind == ParentNotice.Kind.ABSENT and self.checked_in:
            self.add_error("kind", _("Your child is already at the space today."))
        elif kind == ParentNotice.Kind.ABSENT and not data.get("reason"):
            self.add_error("reason", _("Choose why the child stays at home."))
        if kind == ParentNotice.Kind.LATE:
            until = data.get("until")
            if until is None:
                self.add_error("until", _("Say by what time."))
            elif until <= self.now.time().replace(second=0, microsecond=0):
                self.add_error("until", _("Give a time later today."))
        if kind == ParentNotice.Kind.PICKUP:
            name = (data.get("pickup_name") or "").strip()
            if not name:
                self.add_error("pickup_name", _("Write the name of who picks up."))
            if not data.get("pickup_relationship"):
                self.add_error("pickup_relationship", _("Choose how they are related."))
            try:
                data["pickup_phone"] = normalise_mobile(data.get("pickup_phone") or "")
            except Refused:
                self.add_error("pickup_phone", _("Enter an 11-digit mobile number."))
            data["pickup_name"] = name
        return data

    def details(self) -> dict:
        """The fields of this kind, as the notice keeps them."""
        kind = self.cleaned_data["kind"]
        fields = {
            ParentNotice.Kind.ABSENT: ["reason"],
            ParentNotice.Kind.LATE: ["until"],
            ParentNotice.Kind.PICKUP: ["pickup_name", "pickup_relationship", "pickup_phone"],
        }[kind]
        return {field: self.cleaned_data[field] for field in fields}


class ContactForm(forms.ModelForm):
    """What HR records of a parent's choice: the consent from a paper
    application (with who gave it), the channels, the children whose check-in
    and check-out they want to hear of, the digest and the language."""

    class Meta:
        model = ParentContact
        fields = [
            "consented",
            "consent_given_by",
            "sms",
            "wechat_openid",
            "check_in_out_children",
            "evening_digest",
            "language",
        ]
        widgets = {"check_in_out_children": forms.CheckboxSelectMultiple}

    def __init__(self, *args, children, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["check_in_out_children"].queryset = children
        self.fields["consent_given_by"].help_text = _(
            "The guardian who agreed, as they signed the paper application."
        )
        self.fields["wechat_openid"].help_text = _(
            "Set when the parent follows the programme's Official Account."
        )

    def clean(self):
        data = super().clean()
        if data.get("consented") and not (data.get("consent_given_by") or "").strip():
            self.add_error("consent_given_by", _("Write who gave the consent."))
        return data
