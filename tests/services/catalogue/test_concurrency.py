"""Racing editors on PostgreSQL: of several admins adding the same code (or editing the same
published item) at once, one wins and each of the others gets a problem with a stable code — never
an unhandled database error — and one row stands."""

from __future__ import annotations

import os
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from onecity.db import transaction
from onecity.errors import DomainError
from onecity.services.catalogue import service
from onecity.services.catalogue.models import SvcItem
from tests.concurrency_helpers import run_all
from tests.identity.orgs.factories import make_org
from tests.services.catalogue.factories import item_in, make_item

pytestmark = pytest.mark.skipif(os.environ.get("ONECITY_TEST_DB") != "postgres",
                                reason="concurrent transactions are tested on PostgreSQL")
RACERS = 4


def _codes(results: list[Any]) -> list[str]:
    return sorted(r.code if isinstance(r, DomainError) else "ok" for r in results)


def test_the_same_code_added_at_once_is_added_once(session: Session) -> None:
    agency = make_org(session, kind="agency").public_id
    session.commit()

    def create() -> str:
        with transaction() as s:
            return service.create_item(s, item=item_in(agency, code="race.create"), actor="admin").code

    results = run_all([create] * RACERS, workers=RACERS)
    assert _codes(results) == ["ok"] + ["service_item_exists"] * (RACERS - 1), results
    session.rollback()
    assert session.scalar(select(func.count()).select_from(SvcItem).where(SvcItem.code == "race.create")) == 1


def test_a_published_item_edited_at_once_gets_one_new_version(session: Session) -> None:
    agency = make_org(session, kind="agency").public_id
    make_item(session, agency, code="race.edit")
    session.commit()

    def edit(n: int) -> Any:
        def go() -> int:
            with transaction() as s:
                return service.update_item(s, code="race.edit", item=item_in(agency, code="race.edit",
                                                                             keywords=[f"k{n}"]),
                                           actor="admin").version
        return go

    results = run_all([edit(n) for n in range(RACERS)], workers=RACERS)
    won = [r for r in results if r == 2]
    lost = [r for r in results if isinstance(r, DomainError)]
    # Whoever came after the winner committed either edited the new draft in place (version 2 too)
    # or lost the race for version 2 and was told so: never a 500, never a version 3.
    assert len(won) + len(lost) == RACERS and won, results
    assert all(e.code == "service_item_status_conflict" for e in lost), results
    session.rollback()
    versions = session.scalars(select(SvcItem.version).where(SvcItem.code == "race.edit")
                               .order_by(SvcItem.version)).all()
    assert list(versions) == [1, 2]
