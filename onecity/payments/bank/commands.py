"""`onecity bank …`: reconcile a day's bank statement; move the bank channel along by hand."""

from __future__ import annotations

from datetime import date

import typer

NAME = "bank"
cli = typer.Typer(help="The bank channel: reconciliation and instructions.", no_args_is_help=True)


@cli.callback()
def _group() -> None:
    """The bank channel."""


@cli.command("reconcile")
def reconcile(day: str = typer.Option(..., "--date", help="Business day (Asia/Shanghai), YYYY-MM-DD.")) -> None:
    """Compare the bank's statement for the day with our records; fix what is safe, report the rest.
    Exits 1 when mismatches remain open."""
    from onecity.payments.bank import service

    try:
        business_day = date.fromisoformat(day)
    except ValueError as exc:
        raise typer.BadParameter("use YYYY-MM-DD") from exc
    out = service.reconcile(day=business_day, actor="cli:bank-reconcile")
    typer.echo(f"reconciliation {out.run_id} {out.business_date} ({out.channel}): {out.statement_lines} statement "
               f"lines, {out.matched} matched, {out.resolved} resolved, {out.open} open")
    for item in out.items:
        typer.echo(f"  {item.resolution.upper():8} {item.kind:22} {item.instruction_id or '-':32} "
                   f"ours={item.our_amount} bank={item.bank_amount}  {item.detail}")
    if out.open:
        raise typer.Exit(code=1)


@cli.command("dispatch")
def dispatch() -> None:
    """One pass: send new instructions, query lost or overdue ones, let the channel call back."""
    from onecity.payments.bank import service

    typer.echo(f"dispatch: {service.dispatch()}")
    typer.echo(f"channel: {service.run_channel()}")
