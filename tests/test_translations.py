"""The Chinese catalogue is complete and its committed .mo matches the .po."""

from pathlib import Path

import polib
from django.core.management import call_command
from django.utils import translation

PO = Path(__file__).resolve().parent.parent / "locale/zh_Hans/LC_MESSAGES/django.po"


def test_the_chinese_catalogue_is_complete():
    call_command("compile_catalogues", "--check")


def test_the_compiled_catalogue_matches_the_source():
    source = {e.msgid: e.msgstr for e in polib.pofile(str(PO)) if not e.msgid_plural}
    compiled = {e.msgid: e.msgstr for e in polib.mofile(str(PO.with_suffix(".mo")))}
    assert {k: v for k, v in source.items() if k} == {
        k: v for k, v in compiled.items() if k and k in source
    }


def test_django_serves_chinese_from_the_committed_catalogue():
    with translation.override("zh-hans"):
        assert translation.gettext("Log in") == "登录"
