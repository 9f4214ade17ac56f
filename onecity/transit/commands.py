"""`onecity gate …`: a gate simulator over the gate library, offline, on a gate directory.

    onecity gate demo DIR                       a demo platform key, a gate in DIR and DIR/codes.txt
    onecity gate init DIR --gate-id … --stop S04 --network metro --direction in --keys keys.json
    onecity gate verify DIR CODE | --image qr.png [--at EPOCH]   judge one code (not stored)
    onecity gate run DIR codes.txt [--at EPOCH]  tap every code of the file, store the taps
    onecity gate taps DIR [--pending]            the taps the gate stored
    onecity gate deny DIR update.json            apply a deny-list update (whole or delta)
    onecity gate upload DIR --url URL --app-id APP --key KEY.pem [--batch 500]
                                                 send the pending taps to the platform (signed, batched)

A gate directory holds `gate.json` (gate id, stop, network, direction), `keys.json` (the platform's
transit public keys), `denylist.json` and `taps.sqlite3`. A codes file has one scan a line:
`CODE` or `EPOCH<TAB>CODE` (the gate's clock at that scan); lines starting with # are comments.
Time defaults to the injectable clock (onecity.clock).
"""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path

import httpx
import typer

from onecity import clock
from onecity.transit import uplink
from onecity.transit.denylist import DenyList
from onecity.transit.gate import Gate, GatePlace, Verdict
from onecity.transit.ridecode import certificate, code
from onecity.transit.ridecode.keys import KeySet, SigningKey
from onecity.transit.tapstore import TapStore

NAME = "gate"
cli = typer.Typer(help="Gate simulator: verify ride codes offline, run a gate over a file of codes, show taps.",
                  no_args_is_help=True)  # fmt: skip


def _now(at: int | None) -> int:
    return at if at is not None else int(clock.now().timestamp())


def _load_gate(directory: Path, at: int | None = None) -> Gate:
    try:
        place = GatePlace(**json.loads((directory / "gate.json").read_text()))
        keys = KeySet.from_json((directory / "keys.json").read_text())
    except (OSError, ValueError, TypeError) as exc:
        raise typer.BadParameter(
            f"{directory} is not a gate directory ({exc}); run `onecity gate init`"
        ) from exc
    deny_file = directory / "denylist.json"
    deny = DenyList.from_json(deny_file.read_text()) if deny_file.exists() else DenyList()
    return Gate(place, keys, deny=deny, store=TapStore.in_directory(directory), now=_now(at))


def _line(v: Verdict, at: int) -> str:
    who = f" rider {v.rider_ref.hex()} serial {v.serial}" if v.rider_ref is not None else ""
    detail = f" ({v.detail})" if v.detail else ""
    return f"{at}  {v.reason:19}{detail}{who}  {v.message[0]}"


@cli.command()
def init(
    directory: Path = typer.Argument(..., help="The gate's directory (created)."),
    gate_id: str = typer.Option(..., help="This gate's id, e.g. gate_S04_in_1."),
    stop: str = typer.Option(..., help="Station or stop id (or bus route for a validator)."),
    network: str = typer.Option("metro", help="metro | bus"),
    direction: str = typer.Option("in", help="in | out (a bus validator is in)."),
    keys: Path = typer.Option(..., help='Key set file: {"keys": [base64 Ed25519 public keys]}.'),
) -> None:
    """Set up a gate directory."""
    try:
        place = GatePlace(gate_id, stop, network, direction)
        key_set = KeySet.from_json(keys.read_text())
    except (OSError, ValueError) as exc:
        raise typer.BadParameter(str(exc)) from exc
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "gate.json").write_text(json.dumps(place.__dict__))
    (directory / "keys.json").write_text(key_set.to_json())
    TapStore.in_directory(directory).close()
    typer.echo(f"gate {gate_id} at {stop} ({network}, {direction}), keys {', '.join(key_set.kids())}")


@cli.command()
def demo(
    directory: Path = typer.Argument(..., help="Directory for the demo gate and codes.txt."),
    riders: int = typer.Option(3, help="Riders (phones) to make codes for."),
    at: int | None = typer.Option(None, help="The scans' time, epoch seconds (default now)."),
) -> None:
    """A demo platform transit key (DIR/demo_platform.seed — a stand-in for the platform's own key),
    a metro entry gate in DIR, and DIR/codes.txt: good codes, a replay, a screenshot, a forgery, a
    cut-off scan, a denied rider."""
    now = _now(at)
    seed_file = directory / "demo_platform.seed"
    directory.mkdir(parents=True, exist_ok=True)
    if seed_file.exists():
        platform = SigningKey.from_seed(base64.b64decode(seed_file.read_text()))
    else:
        platform = SigningKey.generate()
        seed_file.write_text(base64.b64encode(platform.seed).decode())
        seed_file.chmod(0o600)
    (directory / "gate.json").write_text(
        json.dumps(GatePlace("gate_demo_in_1", "S04", "metro", "in").__dict__)
    )
    (directory / "keys.json").write_text(KeySet([platform.public]).to_json())
    lines, denied = [], None
    for n in range(riders):
        device = SigningKey.generate()
        rider = os.urandom(8)
        cert = certificate.issue_certificate(platform, serial=int.from_bytes(os.urandom(6), "big"), rider_ref=rider,
                                             device_public=device.public, not_before=now - 3600)  # fmt: skip
        text = code.to_qr_text(code.make_code(cert, device, ts=now + n, counter=1))
        if n == 1:
            denied = rider
        note = " (in arrears: on the deny-list, denied)" if n == 1 else ""
        lines += [f"# rider {rider.hex()}{note}", f"{now + n}\t{text}"]
        if n == 0:
            lines += ["# the same code again: replayed", f"{now + n + 5}\t{text}",
                      "# a screenshot shown two minutes later: expired", f"{now + 120}\t"
                      + code.to_qr_text(code.make_code(cert, device, ts=now, counter=2)),
                      "# one changed character: forged", f"{now + n}\t{text[:150]}{'A' if text[150] != 'A' else 'B'}{text[151:]}",
                      "# a cut-off scan: truncated", f"{now + n}\t{text[:200]}"]  # fmt: skip
    deny = DenyList(1, {denied} if denied else set(), set())
    (directory / "denylist.json").write_text(deny.to_json())
    (directory / "codes.txt").write_text("\n".join(lines) + "\n")
    TapStore.in_directory(directory).close()
    typer.echo(f"demo gate in {directory}; codes in {directory / 'codes.txt'}; "
               f"try: onecity gate run {directory} {directory / 'codes.txt'}")  # fmt: skip


@cli.command()
def verify(
    directory: Path = typer.Argument(..., help="The gate's directory (its keys and deny-list)."),
    text: str | None = typer.Argument(None, help="The ride code text (Base45)."),
    image: Path | None = typer.Option(None, help="A QR image file to scan instead."),
    at: int | None = typer.Option(None, help="The gate's clock, epoch seconds (default now)."),
) -> None:
    """Judge one ride code as the gate would (nothing is stored or remembered)."""
    if (text is None) == (image is None):
        raise typer.BadParameter("give a code text or --image, one of them")
    data: str | bytes
    if image is not None:
        import zxingcpp
        from PIL import Image

        try:
            found = zxingcpp.read_barcodes(Image.open(image))
        except OSError as exc:
            raise typer.BadParameter(f"cannot read {image}: {exc}") from exc
        if not found:
            typer.echo("no QR code found in the image", err=True)
            raise typer.Exit(2)
        data = found[0].text
    else:
        data = text or ""
    gate = _load_gate(directory, at)
    now = _now(at)
    v = gate.check(data, now=now)
    typer.echo(_line(v, now))
    raise typer.Exit(0 if v.ok else 1)


@cli.command()
def run(
    directory: Path = typer.Argument(..., help="The gate's directory."),
    codes: Path = typer.Argument(..., help="One scan a line: CODE or EPOCH<TAB>CODE."),
    at: int | None = typer.Option(None, help="Clock for lines without a time (default now)."),
) -> None:
    """Tap every code of a file at the gate, offline; the taps are stored in the gate's directory."""
    gate = _load_gate(directory, at)
    counts: dict[str, int] = {}
    for raw in codes.read_text().splitlines():
        if not raw.strip() or raw.startswith("#"):
            continue
        when_text, _, text = raw.rpartition("\t")
        when = int(when_text) if when_text.strip().isdigit() else _now(at)
        v = gate.tap(text, now=when)
        counts[v.reason] = counts.get(v.reason, 0) + 1
        typer.echo(_line(v, when))
    typer.echo("  ".join(f"{k}: {n}" for k, n in sorted(counts.items())))


@cli.command()
def taps(
    directory: Path = typer.Argument(..., help="The gate's directory."),
    pending: bool = typer.Option(False, help="Only accepted taps not yet uploaded."),
    limit: int = typer.Option(100),
) -> None:
    """The taps this gate stored."""
    store = TapStore.in_directory(directory)
    rows = store.pending(limit) if pending else store.all(limit)
    for r in rows:
        typer.echo(f"{r.at}  {r.tap_id:30} {r.gate_id} {r.stop_id} {r.network}/{r.direction} "
                   f"{r.verdict:19} rider {r.rider_ref or '-'}")  # fmt: skip
    typer.echo(
        f"{len(rows)} tap(s) shown; stored: "
        + ", ".join(f"{k} {n}" for k, n in sorted(store.counts().items()))
    )
    uploads = store.uploads()
    if uploads:
        typer.echo("accepted taps by upload: " + ", ".join(f"{k} {n}" for k, n in sorted(uploads.items())))


def _http(url: str) -> httpx.Client:
    return httpx.Client(base_url=url, timeout=60)


@cli.command()
def upload(
    directory: Path = typer.Argument(..., help="The gate's directory."),
    url: str = typer.Option(..., envvar="ONECITY_GATE_PLATFORM_URL", help="The platform, e.g. https://city.example"),
    app_id: str = typer.Option(..., envvar="ONECITY_GATE_APP_ID", help="The operator's API key app id (app_…)."),
    key: Path = typer.Option(..., envvar="ONECITY_GATE_KEY", help="The operator's private key (PEM)."),
    batch: int = typer.Option(uplink.BATCH, min=1, max=2000, help="Taps per request."),
) -> None:
    """Send the taps stored offline to the platform (signed as the operator, batched); mark what it
    acknowledged. Safe to run again: the platform counts each tap once."""
    try:
        pem = key.read_text()
    except OSError as exc:
        raise typer.BadParameter(f"cannot read {key}: {exc}") from exc
    store = TapStore.in_directory(directory)
    try:
        with _http(url) as http:
            report = uplink.upload_pending(store, http, app_id=app_id, private_pem=pem, batch=batch)
    except uplink.UplinkError as exc:
        typer.echo(f"error: {exc}; the taps not acknowledged stay pending", err=True)
        raise typer.Exit(1) from exc
    finally:
        store.close()
    typer.echo(report.line())


@cli.command()
def deny(
    directory: Path = typer.Argument(..., help="The gate's directory."),
    update: Path = typer.Argument(..., help="A deny-list update: whole or delta (JSON)."),
) -> None:
    """Apply a deny-list update pushed by the platform."""
    from onecity.errors import DomainError

    f = directory / "denylist.json"
    current = DenyList.from_json(f.read_text()) if f.exists() else DenyList()
    try:
        current.update(json.loads(update.read_text()))
    except (DomainError, ValueError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc
    f.write_text(current.to_json())
    typer.echo(
        f"deny-list version {current.version}: {len(current.riders)} rider(s), {len(current.serials)} device(s)"
    )
