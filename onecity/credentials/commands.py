"""`onecity keys issuer-create | issuer-rotate | trust-list`: issuers' signing keys and the
platform-signed trust lists, added to the `onecity keys` group (see `keys_cli` in onecity/cli.py).

    onecity keys issuer-create --org org_… --name 深圳市公安局交通警察支队 --region 440300 [--alg SM2]
    onecity keys issuer-rotate iss_… [--alg EdDSA] [--compromised]
    onecity keys trust-list --scope 440000 [--name 广东省] [--ttl-days 7] [--out gd.jws] \
        [--recognise sh.jws --recognise-key <Shanghai platform key, base64url>]
    onecity keys trust-recognise sh.jws --key <Shanghai platform key, base64url>

`trust-list` prints the platform's public key (base64url of the raw Ed25519 key) and its kid: give
them to verifiers out of band, they pin them.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import typer

from onecity.credentials import jose
from onecity.errors import DomainError

keys_cli = typer.Typer()
ACTOR = "cli:keys"


def _fail(exc: DomainError) -> typer.Exit:
    typer.echo(f"error: {exc.code}: {exc.message_en}" + (f" ({exc.detail})" if exc.detail else ""), err=True)
    return typer.Exit(1)


@keys_cli.command("issuer-create")
def issuer_create(org: str = typer.Option(..., help="The agency organisation's public id (org_…)."),
                  name: str = typer.Option(..., help="The issuer's name as verifiers see it."),
                  region: str = typer.Option(..., help="Six-digit region code (GB/T 2260), e.g. 440300."),
                  alg: str = typer.Option("EdDSA", help="Key algorithm: EdDSA (Ed25519) or SM2.")) -> None:
    """Register an agency as a certificate issuer (电子证照签发机构) with a first signing key."""
    from onecity.credentials import service
    from onecity.db import transaction

    try:
        with transaction() as s:
            issuer = service.register_issuer(s, org_id=org, name=name, region=region, alg=alg, actor=ACTOR)
            key = service.active_key(s, issuer_id=issuer.issuer_id)
    except DomainError as exc:
        raise _fail(exc) from exc
    typer.echo(f"issuer   {issuer.issuer_id}  {issuer.name}  region {issuer.region}")
    typer.echo(f"key      {key.alg} {key.kid}  public {jose.b64url_encode(key.public_key)}")


@keys_cli.command("issuer-rotate")
def issuer_rotate(issuer_id: str = typer.Argument(..., help="The issuer (iss_…)."),
                  alg: str | None = typer.Option(None, help="Switch algorithm (EdDSA or SM2)."),
                  compromised: bool = typer.Option(False, help="Revoke the old key (it leaves the trust "
                                                               "lists) instead of retiring it.")) -> None:
    """Give an issuer a new signing key; the old one stops signing (what it signed still verifies,
    unless --compromised)."""
    from onecity.credentials import service
    from onecity.db import transaction

    try:
        with transaction() as s:
            key = service.rotate_key(s, issuer_id=issuer_id, alg=alg, compromised=compromised, actor=ACTOR)
            keys = service.issuer_keys(s, issuer_id=issuer_id)
    except DomainError as exc:
        raise _fail(exc) from exc
    for k in keys:
        until = f" until {k.not_after.isoformat()}" if k.not_after else ""
        typer.echo(f"{k.status:8} {k.alg:5} {k.kid}  from {k.not_before.isoformat()}{until}")
    typer.echo(f"new active key: {key.kid}")


@keys_cli.command("trust-list")
def trust_list(scope: str = typer.Option(..., help="Six-digit region code: 440300 a city, 440000 a province."),
               name: str | None = typer.Option(None, help="The region's name (default: the city's for its code)."),
               ttl_days: int = typer.Option(7, help="Days until verifiers must refresh the list."),
               out: Path | None = typer.Option(None, help="Write the list here (default: print it)."),
               recognise: list[Path] = typer.Option([], help="Another region's trust list to include (互认)."),
               recognise_key: list[str] = typer.Option([], help="The platform key (base64url) that signed "
                                                                "each --recognise list, in the same order.")) -> None:
    """Sign the trust list (信任列表) of a region with the platform key."""
    from onecity.credentials import platform_key, service
    from onecity.db import transaction

    if len(recognise) != len(recognise_key):
        raise typer.BadParameter("give one --recognise-key for each --recognise")
    try:
        nested = [service.RecognisedList(platform_public=jose.b64url_decode(k.strip()), text=p.read_text().strip())
                  for p, k in zip(recognise, recognise_key, strict=True)]
    except (jose.JoseError, OSError) as exc:
        raise typer.BadParameter(f"cannot read a recognised list or key: {exc}") from exc
    try:
        with transaction() as s:
            text = service.build_trust_list(s, scope=scope, name=name, recognised=nested,
                                            ttl=timedelta(days=ttl_days))
    except DomainError as exc:
        raise _fail(exc) from exc
    content = service.verify_trust_list(text)
    if out is None:
        typer.echo(text)
    else:
        out.write_text(text + "\n")
        typer.echo(f"trust list: {out}")
    typer.echo(f"scope {content.scope} {content.name}: {len(content.issuers)} issuer(s), "
               f"{len(content.recognised)} recognised list(s), expires {content.expires_at.isoformat()}", err=out is None)
    typer.echo(f"platform key EdDSA {jose.b64url_encode(platform_key.platform_public())} "
               f"(kid {platform_key.platform_kid()})", err=out is None)


@keys_cli.command("trust-recognise")
def trust_recognise(path: Path = typer.Argument(..., help="Another region's platform-signed trust list."),
                    key: str = typer.Option(..., help="That platform's public key (base64url), obtained out of "
                                                      "band.")) -> None:
    """Recognise another region's trust list (互认): from now on this platform's own trust list embeds
    it, and the online verifier accepts its issuers' certificates (until the list expires)."""
    from onecity.credentials import service
    from onecity.db import transaction

    try:
        public = jose.b64url_decode(key.strip())
        text = path.read_text().strip()
    except (jose.JoseError, OSError) as exc:
        raise typer.BadParameter(f"cannot read the list or the key: {exc}") from exc
    try:
        with transaction() as s:
            content = service.import_recognised_list(s, text=text, platform_public=public, actor=ACTOR)
    except DomainError as exc:
        raise _fail(exc) from exc
    typer.echo(f"recognised {content.scope} {content.name}: {len(content.issuers)} issuer(s), "
               f"until {content.expires_at.isoformat()}")
