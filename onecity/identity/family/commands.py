"""`onecity family …`: housekeeping of family links."""

from __future__ import annotations

import typer

NAME = "family"
cli = typer.Typer(help="Family links (亲情账户).", no_args_is_help=True)


@cli.callback()
def _group() -> None:
    """Family links."""


@cli.command("expire")
def expire() -> None:
    """Record as expired every invitation left unanswered past its 7 days (run it from cron; reads
    already treat such invitations as expired, this writes it down and emits family.link.expired)."""
    from onecity.db import transaction
    from onecity.identity.family.service import expire_due

    total = 0
    while True:
        with transaction() as s:
            n = expire_due(s)
        total += n
        if n == 0:
            break
    typer.echo(f"invitations expired: {total}")
