from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ParentsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "parents"
    verbose_name = _("Parents")

    def ready(self):
        from attendance import roll_call as attendance_roll_call
        from pickups.expected import LATER_PICKUPS

        from . import (
            receivers,  # noqa: F401 - consent from the application forms
            roll_call,
        )
        from .models import late_until

        LATER_PICKUPS.append(late_until)
        attendance_roll_call.ROW_ANNOTATIONS.append(roll_call.annotations)
        attendance_roll_call.ROW_NOTES.append(roll_call.notes)
        attendance_roll_call.DAY_PICKUP_ROWS.append(roll_call.day_pickup_rows)
        attendance_roll_call.DAY_PICKUP_LISTED.append(roll_call.day_pickup_listed)
