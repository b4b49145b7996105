"""The `footfall` command group. A bare `footfall` (or `footfall --flags`) runs `footfall serve`."""

from __future__ import annotations

import click

from footfall.settings import SETTINGS


def _epilog() -> str:
    return "Settings (flag / environment variable):\n\n" + "\n\n".join(
        f"{s.flag:24} {s.env_var:32} {s.help}" for s in SETTINGS
    )


class _ServeByDefault(click.Group):
    """`footfall [serve flags]` is `footfall serve [serve flags]`."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0].startswith("-") and args[0] not in ("--help", "-h", "--version"):
            args = ["serve", *args]
        return super().parse_args(ctx, args)


@click.group(
    cls=_ServeByDefault, invoke_without_command=True, epilog=_epilog(), context_settings={"max_content_width": 120}
)
@click.version_option(package_name="footfall")
@click.pass_context
def cli(ctx: click.Context) -> None:
    """Footfall: cookieless web analytics that speaks the Plausible, Umami and Medama trackers."""
    if ctx.invoked_subcommand is None:
        serve = ctx.command.get_command(ctx, "serve") if isinstance(ctx.command, click.Group) else None
        if serve is not None:
            ctx.invoke(serve)
