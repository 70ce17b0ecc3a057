"""Compare the reports' daily counts with the attendance rows they summarise.

The roll call keeps `GroupDay` up to date as it is taken; this is the
operator's check that it did (and, with --fix, the repair).
"""

from django.core.management.base import BaseCommand
from django.utils import timezone

from attendance.counts import mismatches, rebuild_season
from spaces.models import Season


class Command(BaseCommand):
    help = "Check the per-group-per-day counts against the attendance rows; --fix recounts."

    def add_arguments(self, parser):
        parser.add_argument("--fix", action="store_true", help="Recount the seasons that differ.")
        parser.add_argument("--season", type=int, help="Only this season id.")

    def handle(self, *args, fix: bool, season: int | None, **options):
        seasons = Season.objects.select_related("factory").order_by("pk")
        if season:
            seasons = seasons.filter(pk=season)
        bad = 0
        for s in seasons:
            problems = mismatches(s)
            if not problems:
                continue
            bad += 1
            self.stdout.write(f"{s} (#{s.pk}): {len(problems)} group-days differ")
            for line in problems[:10]:
                self.stdout.write(f"  {line}")
            if fix:
                rebuild_season(s, until=timezone.localdate())
                self.stdout.write("  recounted")
        self.stdout.write(f"{bad} seasons differ" if bad else "all daily counts match")
