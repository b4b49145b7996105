"""The one entry point protocols call: run hits through the pipeline and buffer what survives."""

from __future__ import annotations

from collections.abc import Iterable

from footfall.ingest import pipeline
from footfall.ingest.buffer import WriteBuffer
from footfall.ingest.context import Context
from footfall.ingest.steps import PIPELINE
from footfall.model import Hit


class Overloaded(Exception):
    """The write buffer is at its bound; the protocol answers 503 and the tracker retries later."""


class Ingestor:
    def __init__(self, ctx: Context, buffer: WriteBuffer) -> None:
        self.ctx = ctx
        self.buffer = buffer

    def check_capacity(self, incoming: int = 1) -> None:
        # Checked before any hit is processed, so a request is stored whole or refused whole;
        # appends cannot then fail, since only this (event loop) thread adds rows.
        if len(self.buffer) + incoming > self.buffer.max_rows:
            raise Overloaded

    def ingest(self, hits: Iterable[Hit], steps: pipeline.Steps = PIPELINE) -> list[pipeline.Outcome]:
        """Run each hit through `steps` (a dialect's own pipeline) or the shared one."""
        outcomes = []
        for hit in hits:
            outcome = pipeline.run(hit, self.ctx, steps)
            if outcome.event is not None:
                self.buffer.append(outcome.event.row(), outcome.session)
            outcomes.append(outcome)
        return outcomes
