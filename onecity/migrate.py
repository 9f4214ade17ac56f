"""Running migrations from code (the CLI and the tests use the same path)."""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Connection

import onecity

ROOT = Path(__file__).resolve().parent.parent


def import_all_models() -> None:
    for info in pkgutil.walk_packages(onecity.__path__, prefix="onecity."):
        if info.name.rsplit(".", 1)[-1] == "models":
            importlib.import_module(info.name)
    # Core tables that live outside modules.
    importlib.import_module("onecity.idempotency")
    importlib.import_module("onecity.outbox")
    importlib.import_module("onecity.jobs")


def alembic_config(connection: Connection | None = None) -> Config:
    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(ROOT / "migrations"))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def upgrade(connection: Connection | None = None) -> None:
    """Apply every module's migrations (each module is its own branch: upgrade to all heads)."""
    command.upgrade(alembic_config(connection), "heads")
