"""The command line (DESIGN.md's contract), one module per concern; this package assembles it."""

from footfall.cli import admin, demo, events, serve, sites  # noqa: F401  (each registers its commands)
from footfall.cli.root import cli

__all__ = ["cli", "main"]


def main() -> None:
    cli()
