"""Form fields shared by the apps."""

from django import forms


class TickedRowsField(forms.ModelMultipleChoiceField):
    """Ticked rows by id; an id no database column can hold is an invalid value.

    Django guards `pk=` lookups against out-of-range integers but not `pk__in=`,
    which SQLite and PostgreSQL then refuse with a server error.
    """

    def _check_values(self, value):
        for pk in value if isinstance(value, list | tuple) else []:
            if not str(pk).isdigit() or int(pk) >= 2**63:
                raise forms.ValidationError(
                    self.error_messages["invalid_pk_value"],
                    code="invalid_pk_value",
                    params={"pk": pk},
                )
        return super()._check_values(value)
