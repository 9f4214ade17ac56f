"""`onecity verify TEXT_OR_FILE [--cache DIR] [--image PNG] [--json]`: verify a certificate presentation
offline, from a cache directory (see `onecity.credentials.verifier`):

    DIR/trust-list.jwt     the platform-signed trust list (`onecity keys trust-list --out …`)
    DIR/platform.pub       the platform's public key that `onecity keys trust-list` prints (pinned)
    DIR/status/*.jwt       issuers' status-list tokens (optional; without them revocation is not checked)
    DIR/status/*.cwt       the same in CWT form (what an SM2 issuer publishes: GET /v1/status-lists/<issuer>)

The caller refreshes the files; nothing here touches the network or the database.
Exit status 0 when the presentation is valid, 1 when it is not (or the cache cannot be used).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import typer

from onecity.credentials import trust, verifier

NAME = "verify"
DEFAULT_CACHE = "verifier-cache"
cli = typer.Typer(help="Verify a certificate presentation offline (QR text, a file, or a QR image).",
                  invoke_without_command=True, add_completion=False,
                  context_settings={"allow_interspersed_args": True})


def _read_text(text_or_file: str | None, image: Path | None) -> str:
    if image is not None:
        try:
            data = image.read_bytes()
        except OSError as exc:
            typer.echo(f"error: cannot read {image}: {exc.strerror}", err=True)
            raise typer.Exit(1) from exc
        decoded = verifier.decode_qr_image(data)
        if decoded is None:
            typer.echo("error: no QR code in the image / 图片中没有二维码", err=True)
            raise typer.Exit(1)
        return decoded
    if not text_or_file:
        typer.echo("error: give the presentation text, a file holding it, or --image", err=True)
        raise typer.Exit(1)
    try:  # a QR text holds '/' and can be longer than a file name may be: not every text is a path
        if len(text_or_file) < 4096 and Path(text_or_file).is_file():
            return Path(text_or_file).read_text(encoding="utf-8", errors="replace")
    except OSError:
        pass
    return text_or_file


@cli.callback()
def verify(
    text_or_file: str | None = typer.Argument(None, help="The presentation text, or a file holding it."),
    cache: Path = typer.Option(Path(os.environ.get("ONECITY_VERIFY_CACHE", DEFAULT_CACHE)), "--cache",
                               help="Cache directory (trust-list.jwt, platform.pub, status/*.jwt|*.cwt)."),
    image: Path | None = typer.Option(None, "--image", help="A picture of the QR code (PNG, JPEG)."),
    as_json: bool = typer.Option(False, "--json", help="Print the verdict as JSON."),
) -> None:
    """Verify a presentation offline and print the verdict, its reason and only the disclosed claims."""
    text = _read_text(text_or_file, image)
    try:
        v = verifier.Verifier.from_dir(cache)
    except FileNotFoundError as exc:
        typer.echo(f"error: the cache {cache} lacks {Path(str(exc.filename)).name}", err=True)
        raise typer.Exit(1) from exc
    except ValueError as exc:  # the trust list's errors (signature, expired, malformed) and a bad key file
        code = getattr(exc, "code", None) or str(exc)
        typer.echo(f"error: the cached trust list cannot be used: {code}", err=True)
        raise typer.Exit(1) from exc
    except (trust.TrustListMalformed, trust.TrustListSignatureInvalid, trust.TrustListExpired,
            trust.TrustListNotYetValid) as exc:
        typer.echo(f"error: the cached trust list cannot be used: {exc.code}", err=True)
        raise typer.Exit(1) from exc
    verdict = v.verify(text)
    out = verifier.verdict_json(verdict)
    if as_json:
        typer.echo(json.dumps(out, ensure_ascii=False))
    else:
        mark = "✔ VALID 有效" if verdict.ok else "✘ INVALID 无效"
        typer.echo(mark)
        typer.echo(f"原因 / reason: {out['message']['zh-CN']} / {out['message']['en']} ({verdict.reason})")
        if verdict.issuer:
            signer = v.trust.issuer(verdict.issuer)
            typer.echo(f"签发机构 / issuer: {signer.name + ' ' if signer else ''}{verdict.issuer}")
        if verdict.type_id is not None:
            name = out["type_name"]
            typer.echo(f"证照类型 / type: {name['zh-CN'] + ' / ' + name['en'] if name else verdict.type_id}"
                       + (f" ({verdict.view})" if verdict.view else ""))
        for c in out["claims"]:
            typer.echo(f"  {c['label']['zh-CN']} / {c['label']['en']}: {c['value']}")
        if verdict.ok and not verdict.status_checked:
            typer.echo("注意 / note: 未核验吊销状态 / revocation status not checked (no fresh status list)")
    raise typer.Exit(0 if verdict.ok else 1)
