from celery import shared_task
from django.core.management import call_command


@shared_task
def anonymise_children() -> None:
    """The retention rule, daily: the same code as `manage.py anonymise_children`."""
    call_command("anonymise_children")
