"""Timezone -> country from the tz database on disk (Medama's `t` as a country hint)."""

from __future__ import annotations

from pathlib import Path

import pytest

from footfall.enrich.timezones import TimezoneCountries


@pytest.fixture(scope="module")
def system() -> TimezoneCountries:
    table = TimezoneCountries.system()
    if not len(table):
        pytest.skip("no tz database on this machine")
    return table


@pytest.mark.parametrize(
    ("zone", "country"),
    [
        ("Europe/London", "GB"),
        ("America/New_York", "US"),
        ("Asia/Tokyo", "JP"),
        ("Europe/Berlin", "DE"),
        ("Europe/Busingen", "DE"),
        ("Europe/Zurich", "CH"),
        ("Australia/Sydney", "AU"),
        ("Asia/Calcutta", "IN"),  # legacy alias of Asia/Kolkata
        ("Europe/Kiev", "UA"),  # legacy alias of Europe/Kyiv
        ("US/Eastern", "US"),
        ("UTC", ""),
        ("Etc/GMT+2", ""),
        ("Mars/Olympus_Mons", ""),
        ("", ""),
        ("Europe/" + "x" * 100, ""),
    ],
)
def test_system_zones(system, zone, country):
    assert system.country(zone) == country


def test_a_table_is_built_from_the_files_alone(tmp_path: Path):
    (tmp_path / "zone.tab").write_text("# comment\nFR\t+4852+00220\tEurope/Paris\nXX\tbad\n", encoding="utf-8")
    (tmp_path / "zone1970.tab").write_text("PT\t+3843-00908\tEurope/Lisbon\nAQ,NZ\t-9\tPacific/Auckland\n")
    (tmp_path / "tzdata.zi").write_text(
        "Z Europe/Paris 0:9:21 -\nL Europe/Paris Europe/Monaco_Old\nL Europe/Monaco_Old Alias2\n"
    )
    table = TimezoneCountries.from_directory(tmp_path)
    assert table.country("Europe/Paris") == "FR"
    assert table.country("Europe/Lisbon") == "PT"
    assert table.country("Pacific/Auckland") == ""  # a zone shared by countries names none
    assert table.country("Europe/Monaco_Old") == "FR"
    assert table.country("Alias2") == "FR"  # a link to a link


def test_a_missing_directory_gives_an_empty_table(tmp_path: Path):
    assert len(TimezoneCountries.from_directory(tmp_path / "none")) == 0
