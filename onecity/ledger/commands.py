"""`onecity ledger …`: prove the ledger's invariants, read a balance or an account's history."""

from __future__ import annotations

import time

import typer

NAME = "ledger"
cli = typer.Typer(help="The double-entry ledger: check invariants, balances, history.", no_args_is_help=True)


@cli.callback()
def _group() -> None:
    """The double-entry ledger."""


@cli.command("check")
def check() -> None:
    """Check every invariant; exit 1 and list the violations if any is broken."""
    from onecity.db import transaction
    from onecity.ledger import service

    started = time.perf_counter()
    with transaction() as s:
        accounts, transfers = service.count(s)
        problems = service.check(s)
    elapsed = time.perf_counter() - started
    typer.echo(f"accounts: {accounts}  transfers: {transfers}  ({elapsed:.2f} s)")
    if not problems:
        typer.echo("ledger OK: debits equal credits, every balance equals its transfers, no overdraft")
        return
    for p in problems:
        typer.echo(f"VIOLATION {p}")
    typer.echo(f"ledger BROKEN: {len(problems)} violation(s)")
    raise typer.Exit(code=1)


@cli.command("balance")
def balance(account_id: str = typer.Argument(..., help="acc_… id or the account key")) -> None:
    """Show an account's four balances and its posted and available balance (fen)."""
    from onecity.db import transaction
    from onecity.ledger import service

    with transaction() as s:
        acc = service.account_by_key(s, account_id) or service.get_account(s, account_id)
        b = service.balance(s, acc.id)
    typer.echo(f"{acc.id}  {acc.key}  {acc.code}  {acc.currency}  flags={acc.flags}")
    typer.echo(f"debits  pending {b.debits_pending}  posted {b.debits_posted}")
    typer.echo(f"credits pending {b.credits_pending}  posted {b.credits_posted}")
    typer.echo(f"posted balance {b.posted_balance}  available {b.available_balance}")


@cli.command("history")
def history(account_id: str = typer.Argument(..., help="acc_… id or the account key"),
            limit: int = typer.Option(20, help="How many transfers, newest first."),
            after: str | None = typer.Option(None, help="Cursor printed by the previous page.")) -> None:
    """List an account's transfers, newest first."""
    from onecity.db import transaction
    from onecity.ledger import service

    with transaction() as s:
        acc = service.account_by_key(s, account_id) or service.get_account(s, account_id)
        items, cursor = service.history(s, acc.id, after=after, limit=limit)
    for t in items:
        sign = "-" if t.debit == acc.id else "+"
        typer.echo(f"{t.created_at.isoformat()}  {t.transfer_id}  {t.kind}/{t.status}  {sign}{t.amount} "
                   f"{t.currency}  {t.code}  {t.ref or ''}")
    if cursor:
        typer.echo(f"next: --after {cursor}")
