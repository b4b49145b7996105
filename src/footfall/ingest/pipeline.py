"""Ingestion: an ordered list of small named steps; any step may drop with a DropReason.

The order carries meaning: cheap drops first; geo before anything that needs the country;
identity and session last, since they keep state and must only see events that will be stored.
Steps never touch storage: the runner hands the finished event (and its visit) back to the
caller, which appends both to the write buffer.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from footfall.ingest.context import Context
from footfall.ingest.sessions import LiveSession
from footfall.model import DropReason, Event, Hit, Site

Step = Callable[["Work", Context], DropReason | None]
Steps = tuple[tuple[str, Step], ...]


@dataclasses.dataclass(slots=True)
class Work:
    """One hit on its way through the pipeline."""

    hit: Hit
    site: Site | None = None
    event: Event | None = None
    previous_salt: bytes | None = None  # yesterday's, to find a visit begun before the rotation
    session: LiveSession | None = None


@dataclasses.dataclass(slots=True)
class Outcome:
    event: Event | None
    session: LiveSession | None
    drop: DropReason | None
    site: Site | None


def insert_after(steps: Steps, name: str, *added: tuple[str, Step]) -> Steps:
    """`steps` with `added` right after the step called `name` (a dialect's own pipeline)."""
    at = [n for n, _ in steps].index(name) + 1
    return (*steps[:at], *added, *steps[at:])


def run(hit: Hit, ctx: Context, steps: Steps) -> Outcome:
    work = Work(hit)
    for _name, step in steps:
        reason = step(work, ctx)
        if reason is not None:
            ctx.metrics.dropped(work.site.domain if work.site else "", reason)
            return Outcome(None, None, reason, work.site)
    assert work.event is not None and work.site is not None
    ctx.metrics.accepted(work.site.domain)
    return Outcome(work.event, work.session, None, work.site)
