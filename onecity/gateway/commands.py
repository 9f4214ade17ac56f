"""`onecity gateway …`: merchants' open-platform apps from the command line.

    onecity gateway register-app --merchant org_… --name 收银台 --public-key app_public.pem [--notify-url URL]
    onecity gateway list-apps --merchant org_…
    onecity gateway disable-app 2026… --merchant org_…      (enable-app to undo)
    onecity gateway replace-key 2026… --merchant org_… --public-key new_public.pem
    onecity gateway platform-key [--out alipay_public.pem]
"""

from __future__ import annotations

from pathlib import Path

import typer

from onecity.crypto import rsa2
from onecity.errors import DomainError
from onecity.gateway.schemas import GatewayAppOut

NAME = "gateway"
cli = typer.Typer(help="The open API in Alipay conventions (/gateway.do): merchants' apps and the platform key.",
                  no_args_is_help=True)
ACTOR = "cli:gateway"

MerchantOpt = typer.Option(..., "--merchant", help="The merchant organisation's public id (org_…).")
KeyOpt = typer.Option(..., "--public-key", exists=True, dir_okay=False, readable=True,
                      help="The app's RSA public key: a PEM file, or Alipay's one-line base64.")


@cli.callback()
def _group() -> None:
    """Merchants' gateway apps."""


def _show(app: GatewayAppOut) -> None:
    typer.echo(f"app_id       {app.app_id}")
    typer.echo(f"merchant     {app.merchant_id}")
    typer.echo(f"name         {app.name}")
    typer.echo(f"status       {app.status}")
    typer.echo(f"key sha256   {app.key_fingerprint}")
    typer.echo(f"notify_url   {app.notify_url or '—'}")


def _fail(exc: DomainError) -> typer.Exit:
    typer.echo(f"error: {exc.code}: {exc.message_en}" + (f" ({exc.detail})" if exc.detail else ""), err=True)
    return typer.Exit(1)


@cli.command("register-app")
def register_app(merchant: str = MerchantOpt, name: str = typer.Option(..., help="The app's name."),
                 public_key: Path = KeyOpt,
                 notify_url: str = typer.Option("", help="Default notify URL for the app's orders.")) -> None:
    """Register an app for a merchant; prints its app id and the platform's public key."""
    from onecity.db import transaction
    from onecity.gateway import service

    try:
        with transaction() as s:
            app = service.register_app(s, merchant_id=merchant, name=name, rsa_public_pem=public_key.read_text(),
                                       notify_url=notify_url or None, actor=ACTOR)
    except DomainError as exc:
        raise _fail(exc) from exc
    _show(app)
    typer.echo("\nThe platform's public key (支付宝公钥 / alipay_public_key) to verify responses and notifications:")
    typer.echo(rsa2.bare_base64(app.platform_public_key_pem))


@cli.command("list-apps")
def list_apps(merchant: str = MerchantOpt) -> None:
    """List a merchant's apps."""
    from onecity.db import transaction
    from onecity.gateway import service

    with transaction() as s:
        apps = service.list_apps(s, merchant_id=merchant)
    for a in apps:
        typer.echo(f"{a.app_id}  {a.status:<8}  {a.name}")
    if not apps:
        typer.echo("no apps")


def _set_status(app_id: str, merchant: str, status: str) -> None:
    from onecity.db import transaction
    from onecity.gateway import service

    try:
        with transaction() as s:
            app = service.set_app_status(s, merchant_id=merchant, app_id=app_id, status=status, actor=ACTOR)
    except DomainError as exc:
        raise _fail(exc) from exc
    _show(app)


@cli.command("disable-app")
def disable_app(app_id: str = typer.Argument(..., help="The 16-digit app id."), merchant: str = MerchantOpt) -> None:
    """Disable an app: its requests are refused until it is enabled again."""
    _set_status(app_id, merchant, "disabled")


@cli.command("enable-app")
def enable_app(app_id: str = typer.Argument(..., help="The 16-digit app id."), merchant: str = MerchantOpt) -> None:
    """Enable a disabled app again."""
    _set_status(app_id, merchant, "active")


@cli.command("replace-key")
def replace_key(app_id: str = typer.Argument(..., help="The 16-digit app id."), merchant: str = MerchantOpt,
                public_key: Path = KeyOpt) -> None:
    """Replace an app's public key (signatures made with the old key stop verifying at once)."""
    from onecity.db import transaction
    from onecity.gateway import service

    try:
        with transaction() as s:
            app = service.replace_app_key(s, merchant_id=merchant, app_id=app_id,
                                          rsa_public_pem=public_key.read_text(), actor=ACTOR)
    except DomainError as exc:
        raise _fail(exc) from exc
    _show(app)


@cli.command("platform-key")
def platform_key(out: Path | None = typer.Option(None, help="Write the PEM to this file instead of printing."),
                 base64: bool = typer.Option(False, "--base64", help="Alipay's one-line form instead of PEM.")) -> None:
    """The platform's public key, which apps verify responses and notifications with."""
    text = rsa2.platform_public_key_base64() + "\n" if base64 else rsa2.platform_public_pem()
    if out is None:
        typer.echo(text, nl=False)
    else:
        out.write_text(text)
        typer.echo(f"wrote {out}")
