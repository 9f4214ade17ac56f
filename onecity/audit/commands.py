"""`onecity audit …`: check the audit log's hash chain."""

from __future__ import annotations

import time

import typer

NAME = "audit"
cli = typer.Typer(help="The audit log: verify its hash chain.", no_args_is_help=True)


@cli.callback()
def _group() -> None:
    """The audit log."""


@cli.command("verify")
def verify() -> None:
    """Walk the whole chain; exit 1 and say where if any entry was edited, deleted or reordered."""
    from onecity.audit.service import verify_chain
    from onecity.db import transaction

    started = time.perf_counter()
    with transaction() as s:
        report = verify_chain(s)
    elapsed = time.perf_counter() - started
    typer.echo(f"entries: {report.entries}  head: seq {report.head_seq} {report.head_hash}  ({elapsed:.2f} s)")
    if report.ok:
        typer.echo("audit chain OK")
        return
    for p in report.problems:
        where = f"seq {p.seq}" if p.seq is not None else "head"
        typer.echo(f"TAMPERED {where} {p.public_id or ''} {p.kind}: {p.detail}", err=False)
    typer.echo(f"audit chain BROKEN: {len(report.problems)} problem(s)")
    raise typer.Exit(code=1)
