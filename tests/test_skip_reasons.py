"""`make test` says why each skipped test was skipped (`-rs` in the project's
pytest options), so a newcomer knows whether a skip is expected (no Redis, no
PostgreSQL, no Chromium) or a problem (issue 24, item 20)."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_summary_names_each_skipped_test_with_its_reason(tmp_path):
    (tmp_path / "test_probe.py").write_text(
        "import pytest\n\n"
        "@pytest.mark.skip(reason='needs PostgreSQL (real row locks and concurrency)')\n"
        "def test_probe():\n    pass\n"
    )
    # The project's own options (pyproject.toml), on a probe outside the suite.
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-c", str(ROOT / "pyproject.toml"),
         f"--rootdir={tmp_path}", str(tmp_path / "test_probe.py"), "-p", "no:django",
         "-p", "no:randomly"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert "1 skipped" in result.stdout, result.stdout
    assert "SKIPPED [1]" in result.stdout
    assert "test_probe.py:3: needs PostgreSQL (real row locks and concurrency)" in result.stdout
