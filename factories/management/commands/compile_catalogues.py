"""Compile the .po translation catalogues to .mo without GNU gettext.

`compilemessages` needs msgfmt, which a fresh machine may lack; polib does
the same in pure Python. The compiled files are committed, so only a
developer who changed a translation runs this (through `make messages`).
"""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Compile locale/*/LC_MESSAGES/*.po to .mo with polib (no gettext needed)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--check",
            action="store_true",
            help="Fail if a catalogue has untranslated or fuzzy entries; write nothing.",
        )

    def handle(self, *args, check: bool = False, **options):
        try:
            import polib
        except ImportError as exc:  # pragma: no cover - dev dependency
            raise CommandError("polib is needed: make setup installs it") from exc
        problems = []
        for locale_dir in settings.LOCALE_PATHS:
            for po_path in sorted(Path(locale_dir).glob("*/LC_MESSAGES/*.po")):
                catalogue = polib.pofile(str(po_path))
                missing = [e.msgid for e in catalogue.untranslated_entries()]
                fuzzy = [e.msgid for e in catalogue.fuzzy_entries()]
                if missing or fuzzy:
                    problems.append(f"{po_path}: {len(missing)} untranslated, {len(fuzzy)} fuzzy")
                    problems.extend(f"  - {msgid}" for msgid in (missing + fuzzy)[:20])
                if not check:
                    catalogue.save_as_mofile(str(po_path.with_suffix(".mo")))
                    self.stdout.write(f"compiled {po_path} ({catalogue.percent_translated()}%)")
        if problems:
            if check:
                raise CommandError("\n".join(problems))
            self.stderr.write("\n".join(problems))
