"""Service items: versions, publishing and retiring, popularity, and every kind of bad input refused
with its own code and nothing written."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from onecity.audit.models import AuditEntry
from onecity.errors import InvalidInput
from onecity.services.catalogue import service
from onecity.services.catalogue.models import SvcItem
from tests.identity.orgs.factories import make_org
from tests.services.catalogue.factories import FORM, item_in, make_item


def _rows(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(SvcItem)) or 0)


def test_create_is_a_draft_citizens_do_not_see(session: Session) -> None:
    a = make_org(session, kind="agency")
    made = make_item(session, a, publish=False)
    assert (made.version, made.status, made.city_code) == (1, "draft", "440300")
    assert service.list_items(session) == []
    assert [i.code for i in service.list_items(session, published_only=False)] == [made.code]
    assert service.get_item(session, code=made.code).status == "draft"


def test_editing_a_published_item_makes_a_new_version_and_publishing_it_retires_the_old(session: Session) -> None:
    a = make_org(session, kind="agency")
    v1 = make_item(session, a, fee_fen=0)
    v2 = service.update_item(session, code=v1.code, item=item_in(a.public_id, fee_fen=1000), actor="test")
    assert (v2.version, v2.status, v2.fee_fen) == (2, "draft", 1000)
    # citizens still see version 1 until version 2 is published
    assert service.get_item(session, code=v1.code).version == 1
    assert service.list_items(session)[0].fee_fen == 0
    # editing the draft again changes it in place
    again = service.update_item(session, code=v1.code, item=item_in(a.public_id, fee_fen=1500), actor="test")
    assert (again.version, again.fee_fen) == (2, 1500)
    service.publish_item(session, code=v1.code, actor="test")
    live = service.get_item(session, code=v1.code)
    assert (live.version, live.fee_fen, live.status) == (2, 1500, "published")
    assert service.get_item(session, code=v1.code, version=1).status == "retired"
    assert [h.version for h in service.list_versions(session, code=v1.code)] == [2, 1]
    assert _rows(session) == 2


def test_retire_hides_the_service(session: Session) -> None:
    a = make_org(session, kind="agency")
    made = make_item(session, a)
    service.retire_item(session, code=made.code, actor="test")
    assert service.list_items(session) == []
    assert service.get_item(session, code=made.code).status == "retired"
    # a retired item can be edited into a new draft and published again
    service.update_item(session, code=made.code, item=item_in(a.public_id), actor="test")
    assert service.publish_item(session, code=made.code, actor="test").version == 2


def test_every_illegal_status_change_is_refused(session: Session) -> None:
    """draft → published → retired; nothing else. Every other (status, action) pair is refused."""
    a = make_org(session, kind="agency")
    draft = make_item(session, a, code="s.draft", publish=False)
    with pytest.raises(service.StatusConflict):
        service.retire_item(session, code=draft.code, actor="test")  # draft → retired
    published = make_item(session, a, code="s.published")
    with pytest.raises(service.StatusConflict):
        service.publish_item(session, code=published.code, actor="test")  # published → published
    retired = make_item(session, a, code="s.retired")
    service.retire_item(session, code=retired.code, actor="test")
    with pytest.raises(service.StatusConflict):
        service.publish_item(session, code=retired.code, actor="test")  # retired → published
    with pytest.raises(service.StatusConflict):
        service.retire_item(session, code=retired.code, actor="test")  # retired → retired
    with pytest.raises(service.StatusConflict):
        service.publish_item(session, code=published.code, version=1, actor="test")
    with pytest.raises(service.CatalogueItemNotFound):
        service.publish_item(session, code="no.such", actor="test")
    assert [service.get_item(session, code=c).status for c in ("s.draft", "s.published", "s.retired")] == [
        "draft", "published", "retired"]


def test_state_changes_are_audited(session: Session) -> None:
    a = make_org(session, kind="agency")
    made = make_item(session, a, actor="stf_admin1")
    actions = session.scalars(select(AuditEntry.action).where(
        AuditEntry.resource == f"service/440300/{made.code}/v1").order_by(AuditEntry.seq)).all()
    assert list(actions) == ["services.catalogue.create", "services.catalogue.publish"]


def test_count_use_is_popularity(session: Session) -> None:
    a = make_org(session, kind="agency")
    make_item(session, a, code="a.one")
    make_item(session, a, code="b.two", recommended=True)
    assert [service.count_use(session, code="b.two") for _ in range(3)] == [1, 2, 3]
    service.count_use(session, code="a.one")
    assert [i.code for i in service.popular(session)] == ["b.two", "a.one"]
    assert [i.code for i in service.recommended(session)] == ["b.two"]
    assert service.get_item(session, code="b.two").popularity == 3


def test_per_city_items(session: Session) -> None:
    a = make_org(session, kind="agency")
    make_item(session, a, code="only.gz", city_code="440100")
    make_item(session, a, code="both")
    make_item(session, a, code="both", city_code="440100", fee_fen=500)
    assert [i.code for i in service.list_items(session)] == ["both"]
    assert [i.code for i in service.list_items(session, city_code="440100")] == ["both", "only.gz"]
    assert service.get_item(session, code="both", city_code="440100").fee_fen == 500
    with pytest.raises(service.CatalogueItemNotFound):
        service.get_item(session, code="only.gz")


def test_categories_count_published_services(session: Session) -> None:
    a = make_org(session, kind="agency")
    make_item(session, a, code="h.one", category="household")
    make_item(session, a, code="h.two", category="household", publish=False)
    cats = {c.code: c.count for c in service.list_categories(session)}
    assert cats["household"] == 1 and cats["traffic"] == 0
    assert len(cats) >= 12


BAD: list[tuple[str, dict[str, Any], str]] = [
    ("invalid schema", {"form_schema": {"type": "object", "properties": {"x": {"type": "strng"}}}, "prefill": {}},
     "service_form_schema_invalid"),
    ("schema not an object", {"form_schema": {"type": "string"}, "prefill": {}}, "service_form_schema_invalid"),
    ("unknown workflow", {"workflow": "no_such_flow"}, "service_workflow_unknown"),
    ("negative fee", {"fee_fen": -1}, "service_item_invalid"),
    ("trips 3", {"trips": 3}, "service_item_invalid"),
    ("bad code", {"code": "Has Spaces"}, "service_item_invalid"),
    ("missing english", {"name": ("户籍证明", "")}, "service_item_invalid"),
    ("prefill of a missing field", {"prefill": {"nope": "profile.name"}}, "service_item_invalid"),
    ("form entry without form", {"form_schema": None, "prefill": {}}, "service_item_invalid"),
    ("page entry without url", {"entry": "page", "form_schema": None, "prefill": {}}, "service_item_invalid"),
    ("unknown certificate type", {"materials": [{"kind": "certificate", "key": "c", "type_id": "unicorn_licence",
                                                 "name": {"zh": "独角兽证", "en": "Unicorn licence"}}]},
     "service_item_invalid"),
    ("upload of exe", {"materials": [{"kind": "upload", "key": "f", "accept": ["application/x-msdownload"],
                                      "name": {"zh": "文件", "en": "File"}}]}, "service_item_invalid"),
    ("unknown category", {"category": "space_travel"}, "service_category_unknown"),
]


@pytest.mark.parametrize(("label", "change", "code"), BAD, ids=[b[0] for b in BAD])
def test_bad_input_is_refused_with_its_code_and_nothing_written(session: Session, label: str,
                                                                  change: dict[str, Any], code: str) -> None:
    a = make_org(session, kind="agency")
    with pytest.raises(InvalidInput) as caught:
        service.create_item(session, item=item_in(a.public_id, **change), actor="test")
    assert caught.value.code == code, label
    assert _rows(session) == 0


def test_unknown_or_wrong_kind_of_agency_is_refused(session: Session) -> None:
    shop = make_org(session, kind="merchant")
    for org_id in ("org_nope", shop.public_id):
        with pytest.raises(service.AgencyInvalid):
            service.create_item(session, item=item_in(org_id), actor="test")
    suspended = make_org(session, kind="agency", status="suspended")
    with pytest.raises(service.AgencyInvalid):
        service.create_item(session, item=item_in(suspended.public_id), actor="test")
    assert _rows(session) == 0


def test_duplicate_code_is_refused_and_the_first_is_unchanged(session: Session) -> None:
    a = make_org(session, kind="agency")
    first = make_item(session, a)
    with pytest.raises(service.CatalogueItemExists):
        service.create_item(session, item=item_in(a.public_id, fee_fen=999), actor="test")
    assert _rows(session) == 1
    assert service.get_item(session, code=first.code).fee_fen == 0


def test_a_bad_edit_changes_nothing(session: Session) -> None:
    a = make_org(session, kind="agency")
    made = make_item(session, a)
    with pytest.raises(service.WorkflowUnknown):
        service.update_item(session, code=made.code, item=item_in(a.public_id, workflow="nope"), actor="test")
    with pytest.raises(service.CatalogueItemInvalid):
        service.update_item(session, code=made.code, item=item_in(a.public_id, code="other.code"), actor="test")
    assert _rows(session) == 1
    assert service.get_item(session, code=made.code, latest=True).version == 1


def test_the_form_schema_and_prefill_are_kept(session: Session) -> None:
    a = make_org(session, kind="agency")
    made = make_item(session, a, materials=[
        {"kind": "certificate", "key": "hukou", "type_id": "household_register", "name": {"zh": "户口簿", "en": "Household register"}},
        {"kind": "upload", "key": "photo", "accept": ["image/jpeg", "image/png"], "max_bytes": 2_000_000,
         "name": {"zh": "照片", "en": "Photo"}, "required": False}],
        eligibility={"min_age": 16, "certificates": ["resident_id"], "text": {"zh": "本市户籍", "en": "Registered here"}},
        on_approve=[{"effect": "issue_credential", "type_id": "household_register", "claims": {"name": "$form.name"}}])
    got = service.get_item(session, code=made.code)
    assert got.form_schema == FORM and got.prefill == {"name": "profile.name"}
    assert [m.key for m in got.materials] == ["hukou", "photo"]
    assert got.materials[1].max_bytes == 2_000_000 and got.eligibility.min_age == 16
    assert got.on_approve[0]["effect"] == "issue_credential"
