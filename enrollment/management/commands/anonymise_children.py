"""Apply the retention rule: anonymise children a while after their last season.

China's PIPL treats all data of children under 14 as sensitive: we keep it only
as long as the programme needs it. The daily Celery task calls the same
function; run this by hand with --dry-run to see what it would change.
"""

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import timezone

from enrollment.privacy import child_anonymise, children_due_for_anonymising


class Command(BaseCommand):
    help = "Anonymise children whose last season closed RETENTION_MONTHS ago (default 12)."

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="List, change nothing.")
        parser.add_argument(
            "--months", type=int, default=settings.RETENTION_MONTHS, help="Retention in months."
        )

    def handle(self, *args, dry_run: bool, months: int, **options):
        due = children_due_for_anonymising(today=timezone.localdate(), months=months)
        n = 0
        for child in due.select_related("factory").order_by("factory", "pk"):
            n += 1
            if dry_run:
                self.stdout.write(f"would anonymise child #{child.pk} at {child.factory}")
            else:
                child_anonymise(child=child, reason=f"retention: {months} months")
        verb = "would anonymise" if dry_run else "anonymised"
        self.stdout.write(f"{verb} {n} children (retention {months} months)")
