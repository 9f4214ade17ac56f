"""Alembic environment: the URL comes from the `onecity` settings (or a connection given by code)."""

from __future__ import annotations

from alembic import context

from onecity.db import Base, engine
from onecity.migrate import import_all_models

import_all_models()
target_metadata = Base.metadata


def run() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    with engine().connect() as conn:
        context.configure(connection=conn, target_metadata=target_metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    raise SystemExit("offline migrations are not supported; run `onecity migrate`")
run()
