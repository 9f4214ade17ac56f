"""`onecity trade …`: settle a day, write a reconciliation file, change a merchant's fee rate."""

from __future__ import annotations

from pathlib import Path

import typer

NAME = "trade"
cli = typer.Typer(help="Merchant trade: settlement, reconciliation files, fee rates.", no_args_is_help=True)


@cli.command("settle")
def settle(date: str = typer.Option("", "--date", help="The day to settle, YYYY-MM-DD (default: yesterday, Asia/Shanghai)."),
           merchant: str = typer.Option("", help="Only this merchant (org_…).")) -> None:
    """Settle every merchant's day (T+1). Running it again changes nothing."""
    from onecity.db import transaction
    from onecity.payments.trade import service

    day = service.parse_day(date) if date else service.last_settleable_day()
    with transaction() as s:
        if merchant:
            out = service.settle_day(s, merchant_id=merchant, day=day)
            typer.echo(f"{out.merchant_id} {out.settle_date}: payout {out.payout_amount} fen ({out.status})")
        else:
            typer.echo(f"{day}: {service.settle_all(s, day=day)}")


@cli.command("reconciliation")
def reconciliation(merchant: str = typer.Option(..., help="The merchant (org_…)."),
                   date: str = typer.Option(..., "--date", help="YYYY-MM-DD"),
                   out: Path = typer.Option(Path("."), help="Directory to write the CSV into.")) -> None:
    """Write a settled day's reconciliation file (CSV, UTF-8)."""
    from onecity.db import transaction
    from onecity.payments.trade import service

    day = service.parse_day(date)
    with transaction() as s:
        text = service.reconciliation_csv(s, merchant_id=merchant, day=day)
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"reconciliation-{merchant}-{day.isoformat()}.csv"
    path.write_text(text, encoding="utf-8")
    typer.echo(str(path))


@cli.command("fee-rate")
def fee_rate(merchant: str = typer.Option(..., help="The merchant (org_…)."),
             bp: int = typer.Option(..., help="Basis points: 38 = 0.38 %.")) -> None:
    """Set a merchant's fee rate (applies to orders paid from now on; audited)."""
    from onecity.db import transaction
    from onecity.payments.trade import service

    with transaction() as s:
        p = service.set_fee_rate(s, merchant_id=merchant, fee_rate_bp=bp, actor="cli:trade")
    typer.echo(f"{p.merchant_id}: {p.fee_rate_bp} bp")
