"""Found in review: a dedicated page's `entry_url` must stay on this site — a backslash ("/\\evil"),
which browsers read as "//evil", or any control character or space is refused like "//evil" is."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from onecity.services.catalogue import service
from onecity.services.catalogue.models import SvcItem
from tests.identity.orgs.factories import make_org
from tests.services.catalogue.factories import item_in


@pytest.mark.parametrize("url", ["//evil.example", "/\\evil.example", "/\\/evil.example", "/app\nx", "/a b",
                                 "/app/\t/x", "/app\n", "https://evil.example"])
def test_an_entry_url_off_the_site_is_refused_and_nothing_written(session: Session, url: str) -> None:
    a = make_org(session, kind="agency")
    with pytest.raises(service.CatalogueItemInvalid) as caught:
        service.create_item(session, item=item_in(a.public_id, entry="page", entry_url=url, form_schema=None,
                                                  prefill={}), actor="test")
    assert caught.value.code == "service_item_invalid" and "entry_url" in (caught.value.detail or "")
    assert session.scalar(select(func.count()).select_from(SvcItem)) == 0


def test_a_path_on_the_site_is_kept(session: Session) -> None:
    a = make_org(session, kind="agency")
    out = service.create_item(session, item=item_in(a.public_id, entry="page", entry_url="/app/services/provident",
                                                    form_schema=None, prefill={}), actor="test")
    assert out.entry_url == "/app/services/provident"


@pytest.mark.parametrize(("field", "change"), [
    ("code", {"code": "ps.household.certificate\n"}),
    ("materials[0].key", {"materials": [{"kind": "upload", "key": "file\n", "accept": ["application/pdf"],
                                         "name": {"zh": "文件", "en": "File"}}]}),
    ("prefill.name", {"prefill": {"name": "resident_id.name\n"}}),
])
def test_a_trailing_newline_does_not_slip_through_a_pattern(session: Session, field: str, change: dict) -> None:
    # "$" matches before a final "\n": the patterns end in "\Z" so "code\n" is not a code.
    a = make_org(session, kind="agency")
    with pytest.raises(service.CatalogueItemInvalid) as caught:
        service.create_item(session, item=item_in(a.public_id, **change), actor="test")
    assert field in (caught.value.detail or "")
    assert session.scalar(select(func.count()).select_from(SvcItem)) == 0
