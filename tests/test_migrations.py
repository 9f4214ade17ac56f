"""The Alembic migrations build exactly the schema the models declare (on the database under test)."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from onecity import db
from onecity.db import Base
from onecity.migrate import alembic_config, import_all_models


def test_models_match_migrations():
    import_all_models()
    with db.engine().connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(ctx, Base.metadata)
    assert diff == [], "models and migrations differ; add a migration:\n" + "\n".join(map(str, diff))


def test_every_branch_is_applied():
    script = ScriptDirectory.from_config(alembic_config())
    with db.engine().connect() as conn:
        applied = set(MigrationContext.configure(conn).get_current_heads())
    assert applied == set(script.get_heads())
