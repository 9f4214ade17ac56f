"""The `onecity` command: demo, serve, worker, migrate, seed, keys (and module commands)."""

from __future__ import annotations

import logging
import threading
from pathlib import Path

import typer

from onecity.config import get_settings

app = typer.Typer(help="OneCity: a city's public services and payments on citizens' phones.",
                  no_args_is_help=True, add_completion=False)
keys_app = typer.Typer(help="Manage the platform key ring and API signing keys.", no_args_is_help=True)
app.add_typer(keys_app, name="keys")


def _register_module_commands() -> None:
    """Module command groups (e.g. `onecity audit verify`) live beside their modules. A module's
    `keys_cli` Typer adds its commands to `onecity keys` (e.g. `onecity keys issuer-create`)."""
    import importlib
    import pkgutil

    import onecity

    for info in pkgutil.walk_packages(onecity.__path__, prefix="onecity."):
        if info.name.rsplit(".", 1)[-1] == "commands":
            module = importlib.import_module(info.name)
            group = getattr(module, "cli", None)
            if isinstance(group, typer.Typer):
                app.add_typer(group, name=getattr(module, "NAME", info.name.split(".")[1]))
            key_commands = getattr(module, "keys_cli", None)
            if isinstance(key_commands, typer.Typer):
                keys_app.registered_commands.extend(key_commands.registered_commands)


@app.command()
def migrate() -> None:
    """Apply all database migrations (every module's branch) to ONECITY_DATABASE_URL."""
    from onecity import migrate as m

    _ensure_sqlite_dir()
    m.upgrade()
    typer.echo("migrations applied")


@app.command()
def seed(residents: int = typer.Option(1200, help="Residents in the population registry.")) -> None:
    """Create the demo city (registry, citizens, organisations). Safe to run twice."""
    from onecity.demo.seed import seed_demo_city

    summary = seed_demo_city(residents=residents)
    for line in summary:
        typer.echo(line)


@app.command()
def serve(
    host: str | None = typer.Option(None, help="Bind address (default ONECITY_HOST or 127.0.0.1)."),
    port: int | None = typer.Option(None, help="Port (default ONECITY_PORT or 8000)."),
    with_worker: bool = typer.Option(False, help="Also run the outbox worker in this process."),
) -> None:
    """Serve the API and web app."""
    import uvicorn

    s = get_settings()
    if with_worker:
        _start_worker_thread()
    uvicorn.run("onecity.app:create_server_app", factory=True, host=host or s.host, port=port or s.port,
                log_config=None)


@app.command()
def worker(once: bool = typer.Option(False, help="Run one pass and exit."),
           poll: float = typer.Option(1.0, help="Seconds to sleep when idle.")) -> None:
    """Deliver outbox events to subscribers (retries with backoff) and run the periodic jobs."""
    from onecity import outbox
    from onecity.app import load_subscribers
    from onecity.observability import configure_logging

    s = get_settings()
    configure_logging(s.log_level, s.log_json)
    load_subscribers()
    if once:
        from onecity import jobs

        typer.echo(f"outbox: {outbox.run_once()}")
        typer.echo(f"jobs: {jobs.run_due()}")
        return
    outbox.run_forever(poll)


@app.command()
def demo(port: int | None = typer.Option(None, envvar="PORT", help="Port to serve on (PORT=… overrides).")) -> None:
    """Create the embedded database, migrate, seed the demo city and serve it."""
    from onecity import migrate as m
    from onecity.crypto.keyring import init_keys
    from onecity.demo.seed import demo_logins, seed_demo_city

    s = get_settings()
    init_keys()
    _ensure_sqlite_dir()
    m.upgrade()
    for line in seed_demo_city(residents=1200):
        typer.echo(line)
    p = port or s.port
    typer.echo("")
    typer.echo(f"OneCity demo city is running at http://{s.host}:{p}/")
    typer.echo(f"  citizen app:  http://{s.host}:{p}/app")
    typer.echo(f"  console:      http://{s.host}:{p}/console")
    for line in demo_logins():
        typer.echo("  " + line)
    typer.echo("  one-time codes are printed in this log (the demo SMS sender).")
    serve(host=None, port=p, with_worker=True)


@keys_app.command("init")
def keys_init() -> None:
    """Create the field-encryption and blind-index keys in ONECITY_KEY_DIR if absent."""
    from onecity.crypto.keyring import init_keys

    for name, path in init_keys().items():
        typer.echo(f"{name}: {path}")


@keys_app.command("generate")
def keys_generate(out: Path = typer.Option(Path("."), help="Directory for the key pair files."),
                  name: str = typer.Option("onecity_api", help="File name stem.")) -> None:
    """Generate an Ed25519 key pair for signing API requests as an organisation."""
    from onecity.crypto.signing import generate_ed25519

    priv, pub = generate_ed25519()
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{name}.key").write_text(priv)
    (out / f"{name}.key").chmod(0o600)
    (out / f"{name}.pub").write_text(pub)
    typer.echo(f"private key: {out / (name + '.key')}\npublic key:  {out / (name + '.pub')}")


def _ensure_sqlite_dir() -> None:
    url = get_settings().database_url
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)


def _start_worker_thread() -> None:
    from onecity import outbox
    from onecity.app import load_subscribers

    load_subscribers()

    def loop() -> None:
        try:
            outbox.run_forever(1.0)
        except Exception:  # noqa: BLE001
            logging.getLogger("onecity.worker").exception("worker thread stopped")

    threading.Thread(target=loop, name="outbox-worker", daemon=True).start()


_register_module_commands()
