"""A compact IPv4 range index built once from an .mmdb file, so lookups stop touching the whole file.

Why: an .mmdb city file is a search tree plus full records (names in several forms, coordinates,
postcodes). Traffic from many networks touches nearly every page of it: the DB-IP City Lite IPv4
file kept ~60 MB resident in the server. Footfall needs four strings per address, and adjacent
networks mostly give the same answer, so the same knowledge fits a file of about a third the size
(3.5M ranges of 6 bytes and 170k distinct locations for DB-IP Lite), memory-mapped like the
original, and a lookup is one binary search in C instead of a tree walk plus a record decode.

File layout (little-endian, every array 4-byte aligned)::

    header   _HEADER: magic, format version, range and location counts, string bytes,
             the source file's size and build epoch, its record layout (to spot a stale index)
    buckets  65,537 x uint32: where each /16's ranges start in the two arrays below
    lows     n x uint16: low 16 bits of each range's first address (each /16 starts with 0)
    locs     n x uint32: location number of each range; 0 is "no data"
    offsets  (m + 1) x uint32: where each location's text starts in `strings`
    strings  UTF-8: country, region, city and region name, separated by US (0x1f)

Built by ``build_index`` (``footfall geo install`` does it at install time; the server starts a
child process to do it once when an index is missing: ``python -m footfall.enrich.geo_index``).
"""

from __future__ import annotations

import bisect
import contextlib
import functools
import ipaddress
import logging
import mmap
import os
import signal
import socket
import struct
import subprocess
import sys
from array import array
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, Final

import maxminddb

from footfall.enrich.geo_records import LAYOUTS, NO_GEO, GeoInfo

__all__ = [
    "FORMAT_VERSION",
    "IndexBuild",
    "V4Index",
    "build_if_stale",
    "build_index",
    "index_is_current",
    "index_path",
]

log = logging.getLogger("footfall.enrich.geo")

_MAGIC: Final = b"FFGEOIX4"
FORMAT_VERSION: Final = 1
# magic, version, ranges, locations, string bytes, source size, source build epoch, layout (16 bytes)
_HEADER: Final = struct.Struct("<8sIIIIQQ16s")
_BUCKETS: Final = 1 << 16
_SEP: Final = "\x1f"
_NO_DATA: Final = 0


def _pad4(n: int) -> int:
    return (n + 3) & ~3


def _location_text(info: GeoInfo) -> bytes:
    # The separator never occurs in a database's names; stripping it keeps a hostile file harmless.
    parts = (info.country, info.region, info.city, info.region_name)
    return _SEP.join(p.replace(_SEP, "") for p in parts).encode("utf-8", "replace")


def _v4_networks(reader: maxminddb.Reader) -> Iterable[tuple[int, int, Any]]:
    """(first, last, record) of every IPv4 network, ascending; an IPv6 file's ::/96 part included."""
    for network, record in reader:
        if isinstance(network, ipaddress.IPv4Network):
            yield int(network.network_address), int(network.broadcast_address), record


def _ranges(
    networks: Iterable[tuple[int, int, Any]], info_of: Callable[[Any], GeoInfo]
) -> tuple[array[int], array[int], list[bytes]]:
    """Adjacent networks with the same answer merged: (starts, location numbers, location texts)."""
    starts, locs = array("I"), array("I")
    numbers: dict[GeoInfo, int] = {NO_GEO: _NO_DATA}
    texts = [b""]
    expected = 0  # the first address no network seen so far covers
    for first, last, record in networks:
        if first < expected:
            continue  # the tree is walked in order; an overlap would mean a damaged file
        info = info_of(record)
        number = numbers.get(info)
        if number is None:
            number = numbers[info] = len(texts)
            texts.append(_location_text(info))
        if first > expected and (not locs or locs[-1] != _NO_DATA):
            starts.append(expected)  # a gap in the tree: no data there
            locs.append(_NO_DATA)
        if not locs or locs[-1] != number:
            starts.append(first)
            locs.append(number)
        expected = last + 1
    if not starts or starts[0] != 0:
        starts.insert(0, 0)
        locs.insert(0, _NO_DATA)
    if expected <= 0xFFFFFFFF and locs[-1] != _NO_DATA:
        starts.append(expected)
        locs.append(_NO_DATA)
    return starts, locs, texts


def _bucketed(starts: array[int], locs: array[int]) -> tuple[array[int], array[int], array[int]]:
    """Split the ranges at every /16 boundary: (bucket offsets, low 16 bits, location numbers)."""
    buckets, lows, out_locs = array("I"), array("H"), array("I")
    j, n = 0, len(starts)
    for bucket in range(_BUCKETS):
        base = bucket << 16
        while j + 1 < n and starts[j + 1] <= base:
            j += 1
        buckets.append(len(lows))
        lows.append(0)  # the range covering the bucket's first address
        out_locs.append(locs[j])
        end = base + _BUCKETS
        while j + 1 < n and starts[j + 1] < end:
            j += 1
            lows.append(starts[j] - base)
            out_locs.append(locs[j])
    buckets.append(len(lows))
    return buckets, lows, out_locs


def build_index(source: Path, layout: str, target: Path) -> Path:
    """Write the IPv4 range index of ``source`` (an .mmdb whose records are in ``layout``) to ``target``.

    Written to a temporary name and renamed, so a reader never sees half a file. Takes ~40 s and a few
    hundred MB of memory for DB-IP City Lite, which is why the server runs it in a child process.
    """
    info_of = LAYOUTS[layout]
    with maxminddb.open_database(str(source), maxminddb.MODE_AUTO) as reader:
        build_epoch = int(reader.metadata().build_epoch)
        starts, locs, texts = _ranges(_v4_networks(reader), info_of)
    size = source.stat().st_size
    buckets, lows, out_locs = _bucketed(starts, locs)
    del starts, locs
    offsets = array("I", [0])
    for text in texts:
        offsets.append(offsets[-1] + len(text))
    header = _HEADER.pack(
        _MAGIC, FORMAT_VERSION, len(lows), len(texts), offsets[-1], size, build_epoch, layout.encode()[:16]
    )
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        with temporary.open("wb") as out:
            for part in (header, buckets.tobytes(), lows.tobytes()):
                out.write(part)
            out.write(bytes(_pad4(out.tell()) - out.tell()))
            for part in (out_locs.tobytes(), offsets.tobytes(), b"".join(texts)):
                out.write(part)
        os.replace(temporary, target)
    finally:
        with contextlib.suppress(FileNotFoundError):
            temporary.unlink()
    return target


def _read_header(path: Path) -> tuple[Any, ...] | None:
    try:
        with path.open("rb") as f:
            raw = f.read(_HEADER.size)
    except OSError:
        return None
    if len(raw) != _HEADER.size:
        return None
    fields = _HEADER.unpack(raw)
    return fields if fields[0] == _MAGIC and fields[1] == FORMAT_VERSION else None


def index_path(directory: Path, source: Path) -> Path:
    """Where the index of the .mmdb file ``source`` lives in ``directory``."""
    return directory / f"{source.name}.v4index"


def build_if_stale(source: Path, layout: str, directory: Path) -> Path | None:
    """Build the index of ``source`` in ``directory`` unless a current one is there; the new one or None."""
    target = index_path(directory, source)
    with maxminddb.open_database(str(source), maxminddb.MODE_AUTO) as reader:
        build_epoch = int(reader.metadata().build_epoch)
    if index_is_current(target, source.stat().st_size, build_epoch, layout):
        return None
    return build_index(source, layout, target)


def index_is_current(index: Path, source_size: int, build_epoch: int, layout: str) -> bool:
    """True when ``index`` exists and was built, in this format, from the .mmdb file described."""
    header = _read_header(index)
    if header is None:
        return False
    built_from = (header[5], header[6], header[7].rstrip(b"\x00").decode("ascii", "replace"))
    return built_from == (source_size, build_epoch, layout)


class V4Index:
    """An opened index: ``lookup`` takes a public IPv4 address as dotted-quad text."""

    def __init__(self, path: Path) -> None:
        header = _read_header(path)
        if header is None:
            raise ValueError(f"{path} is not a Footfall geo index (format {FORMAT_VERSION})")
        _, _, ranges, locations, string_bytes, _, _, _ = header
        self.path = path
        with path.open("rb") as f:
            self._map = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
        if hasattr(mmap, "MADV_RANDOM"):
            # Lookups jump around: read-ahead around every touched page would only add pages no
            # visitor needs (measured: 10 lookups left 15 MB resident without this, 12 MB with it).
            self._map.madvise(mmap.MADV_RANDOM)
        # Only the pages a lookup touches become resident: ~3 of the bucket, range and text arrays.
        self._view = view = memoryview(self._map)
        at = _HEADER.size
        self._buckets = view[at : at + 4 * (_BUCKETS + 1)].cast("I")
        at += 4 * (_BUCKETS + 1)
        self._lows = view[at : at + 2 * ranges].cast("H")
        at = _pad4(at + 2 * ranges)
        self._locs = view[at : at + 4 * ranges].cast("I")
        at += 4 * ranges
        self._offsets = view[at : at + 4 * (locations + 1)].cast("I")
        at += 4 * (locations + 1)
        self._strings = view[at : at + string_bytes]
        if len(self._strings) != string_bytes or self._buckets[_BUCKETS] != ranges:
            self.close()
            raise ValueError(f"{path} is truncated or damaged")
        # Visitors cluster in a few thousand places; their GeoInfo values are shared, not rebuilt.
        self._location = functools.lru_cache(maxsize=4096)(self._decode)

    def lookup(self, addr: str) -> GeoInfo:
        value = int.from_bytes(socket.inet_pton(socket.AF_INET, addr), "big")
        bucket = value >> 16
        i = bisect.bisect_right(self._lows, value & 0xFFFF, self._buckets[bucket], self._buckets[bucket + 1]) - 1
        return self._location(self._locs[i])

    def _decode(self, number: int) -> GeoInfo:
        if number == _NO_DATA:
            return NO_GEO
        text = bytes(self._strings[self._offsets[number] : self._offsets[number + 1]]).decode("utf-8")
        country, region, city, region_name = text.split(_SEP)
        return GeoInfo(country, region, city, region_name)

    def close(self) -> None:
        for name in ("_buckets", "_lows", "_locs", "_offsets", "_strings", "_view"):
            view = getattr(self, name, None)
            if view is not None:
                view.release()
        self._map.close()


class IndexBuild:
    """A child process building an index, with a lock file so that one process builds it, not every one.

    ``start`` returns None when another live process holds the lock (its result is picked up by
    ``index_is_current`` later) or when the child cannot be started; the server then keeps using
    the .mmdb file, which answers the same.
    """

    STALE_LOCK_S: Final = 15 * 60

    def __init__(self, process: subprocess.Popen[bytes], lock: Path) -> None:
        self.process = process
        self.lock = lock

    @classmethod
    def start(cls, source: Path, layout: str, target: Path, *, now: float) -> IndexBuild | None:
        lock = cls.lock_of(target)
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            with contextlib.suppress(FileNotFoundError):
                if now - lock.stat().st_mtime > cls.STALE_LOCK_S:
                    lock.unlink()  # a builder that died without cleaning up
            fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            return None  # another process is building it
        except OSError:
            log.warning("cannot build the geo index in %s; IPv4 stays on the .mmdb file", target.parent, exc_info=True)
            return None
        os.close(fd)
        command = [sys.executable, "-m", "footfall.enrich.geo_index", str(source), layout, str(target)]
        try:
            # Its own session: a Ctrl-C meant for the server must not kill the builder half-way.
            process = subprocess.Popen(
                command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, start_new_session=True
            )
        except OSError:
            lock.unlink(missing_ok=True)
            log.warning("could not start the geo index builder", exc_info=True)
            return None
        log.info("building the IPv4 geo index of %s in the background (pid %d)", source, process.pid)
        return cls(process, lock)

    @staticmethod
    def lock_of(target: Path) -> Path:
        return target.with_name(f".{target.name}.building")

    def finished(self) -> bool | None:
        """None while it runs; then True when it succeeded. The lock is released once it ends."""
        code = self.process.poll()
        if code is None:
            return None
        self.lock.unlink(missing_ok=True)
        if code != 0:
            log.warning("the geo index builder exited with code %d; staying on the .mmdb file", code)
        return code == 0

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.lock.unlink(missing_ok=True)


def main(argv: list[str]) -> int:
    """``python -m footfall.enrich.geo_index SOURCE LAYOUT TARGET``: what the server runs in a child."""
    source, layout, target = argv
    # The server stops a builder it no longer needs with SIGTERM; finally-blocks still clean up.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    with contextlib.suppress(OSError):
        os.nice(10)  # a one-off job: ingestion in the parent comes first for the CPU
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    build_index(Path(source), layout, Path(target))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
