"""What a hostile roster costs a web worker: one JSON line per file.

Each file (tests/enrollment/hostile_files.py: a zip bomb, millions of shared
strings, a row of millions of cells, a lying dimension, CSV twins) is read by
`enrollment.imports.read_rows` in a fresh process, which reports the wall time,
its peak memory above the start and the answer (refused with a message, or read):

    .venv/bin/python bench/hostile_imports.py [--timeout 60]
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FILES = [
    "zip_bomb", "many_shared_strings", "wide_row", "wide_row_of_values", "lying_dimension",
    "far_row", "entity_expansion", "csv_wide_row", "csv_many_rows", "csv_quoted_newlines",
]  # fmt: skip


def one(name: str, path: str, project: str) -> None:
    sys.path[0] = project  # not bench/: its http.py would shadow the standard library
    os.chdir(project)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ccrcsr.settings")
    import django

    django.setup()
    from django.core.files.uploadedfile import SimpleUploadedFile

    from enrollment.imports import ImportError_, read_rows

    data = Path(path).read_bytes()
    start_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.monotonic()
    try:
        sheet = read_rows(SimpleUploadedFile("x", data))
        answer = f"read {len(getattr(sheet, 'rows', sheet))} rows"
    except ImportError_ as exc:
        answer = f"refused: {exc}"[:80]
    ms = (time.monotonic() - start) * 1000
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - start_rss
    print(json.dumps({"name": name, "bytes": len(data), "ms": round(ms), "peak_mb_above_start":
                      round(peak / 1024, 1), "answer": answer}, ensure_ascii=False))  # fmt: skip


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--timeout", type=float, default=60)
    parser.add_argument(
        "--project", default=str(ROOT), help="read with another checkout's code (before/after)"
    )
    parser.add_argument("--one", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        return one(*args.one, args.project)
    sys.path[0] = str(ROOT)
    from tests.enrollment import hostile_files

    with tempfile.TemporaryDirectory() as folder:
        for name in FILES:
            path = Path(folder) / name
            path.write_bytes(getattr(hostile_files, name)())
            command = [sys.executable, __file__, "--project", args.project, "--one", name, path]
            try:
                subprocess.run(command, timeout=args.timeout, check=False)
            except subprocess.TimeoutExpired:
                print(json.dumps({"name": name, "answer": f"killed after {args.timeout} s"}))


if __name__ == "__main__":
    main()
