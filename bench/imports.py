"""How long HR waits for the preview of a big roster: one JSON line per figure.

Builds a 5,000-row roster the way an HR office keeps it (a title row, its own
header names, a column we do not import, dates written three ways), uploads it
to the import page as an HR user and times the answer (the preview of every
row). Target: under 10 s. Runs on its own SQLite file unless DATABASE_URL is set:

    .venv/bin/python bench/imports.py [--rows 5000] [--repeat 3] [--csv]
"""

import argparse
import datetime
import io
import json
import os
import re
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ccrcsr.settings")
os.environ.setdefault("DATABASE_URL", "sqlite:////tmp/ccrcsr-bench-imports.sqlite3")

import django  # noqa: E402

django.setup()

import openpyxl  # noqa: E402
from django.conf import settings  # noqa: E402
from django.core.files.uploadedfile import SimpleUploadedFile  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

HEADER = ["序号", "工号", "姓名", "车间", "班次", "手机号", "子女姓名", "性别", "出生年月", "籍贯",
          "平时和谁生活", "宿舍号"]  # fmt: skip


def roster_rows(n: int) -> list[list]:
    rows = []
    for i in range(n):
        born = datetime.date(2013 + i % 8, 1 + i % 12, 1 + i % 28)
        written = [born, born.strftime("%Y年%-m月%-d日"), born.strftime("%Y.%-m.%-d")][i % 3]
        rows.append([i + 1, f"B{i:05d}", f"家长{i}", "装配车间", "白班", f"139{i:08d}",
                     f"孩子{i}", "男" if i % 2 else "女", written, "四川南充", "爷爷奶奶",
                     f"{i % 9}-{i % 300}"])  # fmt: skip
    return rows


def roster_file(n: int, as_csv: bool) -> bytes:
    rows = [["2026年暑期儿童之家报名表"], HEADER, *roster_rows(n)]
    if as_csv:
        import csv

        buffer = io.StringIO()
        csv.writer(buffer).writerows(
            [[c.isoformat() if isinstance(c, datetime.date) else c for c in r] for r in rows]
        )
        return buffer.getvalue().encode("gbk")
    workbook = openpyxl.Workbook()
    for row in rows:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--csv", action="store_true", help="a GBK CSV instead of .xlsx")
    args = parser.parse_args()
    settings.ALLOWED_HOSTS = ["*"]
    settings.DEBUG = False
    call_command("migrate", verbosity=0)

    from factories.models import Factory, Membership, Role, User

    factory, _ = Factory.objects.get_or_create(
        code="bench-import", defaults={"name_zh": "导入测试厂", "name_en": "Import bench"}
    )
    hr, _ = User.objects.get_or_create(username="bench-import-hr")
    Membership.objects.get_or_create(user=hr, factory=factory, role=Role.HR)
    client = Client()
    client.force_login(hr)
    data = roster_file(args.rows, args.csv)
    name = "roster.csv" if args.csv else "roster.xlsx"

    def preview():
        upload = SimpleUploadedFile(name, data)
        response = client.post(f"/factories/{factory.pk}/import/", {"file": upload})
        assert response.status_code == 200, response.status_code
        html = response.content.decode()
        assert "文件没有问题" in html, re.findall(r"alert[^<]*|list-group-item\">[^<]*", html)[:5]

    timings = []
    for _ in range(args.repeat):
        started = time.perf_counter()
        preview()
        timings.append((time.perf_counter() - started) * 1000)
    with CaptureQueriesContext(connection) as queries:
        preview()
    ms = round(statistics.median(timings), 1)
    print(json.dumps({
        "name": "import_preview_csv" if args.csv else "import_preview_xlsx",
        "rows": args.rows, "bytes": len(data), "ms": ms, "queries": len(queries),
        "target_ms": 10_000, "ok": ms < 10_000,
    }), flush=True)  # fmt: skip


if __name__ == "__main__":
    main()
