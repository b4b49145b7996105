"""The README documents every setting exactly as the settings table defines it."""

from __future__ import annotations

import re
from pathlib import Path

from footfall.settings import SETTINGS

README = Path(__file__).resolve().parent.parent / "README.md"


def _table_rows() -> list[str]:
    text = README.read_text()
    block = re.search(r"<!-- settings-table.*?-->\n(.*?)<!-- /settings-table -->", text, re.S)
    assert block, "README has no settings table"
    return [line for line in block.group(1).splitlines() if line.startswith("| `")]


def test_every_setting_is_in_the_readme_with_its_default_and_help() -> None:
    expected = [f"| `{s.flag}` | `{s.env_var}` | `{s.default}` | {s.help} |" for s in SETTINGS]
    assert _table_rows() == expected


def test_readme_has_the_two_setup_commands() -> None:
    text = README.read_text()
    assert "pip install . && footfall\n" in text
    assert "./scripts/test\n" in text
