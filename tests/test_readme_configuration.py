"""README's configuration table lists what the settings really read, and nothing else."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def variables_read_by_settings() -> set[str]:
    text = (ROOT / "ccrcsr/settings.py").read_text()
    return set(re.findall(r'env\.\w+\(\s*"([A-Z_]+)"', text)) | set(
        re.findall(r'_url_setting\(\s*"([A-Z_]+)"', text)
    )


def variables_in_the_table() -> set[str]:
    text = (ROOT / "README.md").read_text()
    table = text.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in table.splitlines() if line.startswith("| `")]
    return {name for row in rows for name in re.findall(r"`([A-Z_]+)`", row.split("|")[1])}


def test_every_variable_the_settings_read_is_in_the_readme():
    # The table, or the section of the feature it tunes (reminders, for example).
    readme = (ROOT / "README.md").read_text()
    assert {name for name in variables_read_by_settings() if f"`{name}`" not in readme} == set()


def test_the_configuration_table_lists_no_variable_the_settings_ignore():
    assert variables_in_the_table() - variables_read_by_settings() == set()


def test_the_session_limits_are_the_idle_and_absolute_timeouts():
    readme = (ROOT / "README.md").read_text()
    assert "`SESSION_COOKIE_AGE`" not in readme
    assert "`SESSION_IDLE_SECONDS` | `1800`" in readme
    assert "`SESSION_MAX_SECONDS` | `43200`" in readme
