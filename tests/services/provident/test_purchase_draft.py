"""The purchase withdrawal through the pages keeps the form server-side during the face check: no
URL or redirect carries the property certificate number (only the draft's opaque id), the draft is
encrypted at rest, only its citizen can use it, once, and not after it expires."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import parse_qs, unquote, urlparse

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from onecity import clock
from onecity.crypto.fields import blind_index
from onecity.identity.sessions import create_session
from onecity.services.provident import service
from onecity.services.provident.models import HpfDraft
from onecity.services.provident.service import WITHDRAW_ACT
from tests.identity.family.factories import Person, make_face_grant, person
from tests.services.provident.factories import make_account, make_centre

PROPERTY = "粤(2026)深圳市不动产权第0765432号"


def _cookie(client: TestClient, session: Session, subject_id: str) -> str:
    token, row = create_session(session, kind="citizen", subject_id=subject_id, credential="cookie", label="t")
    session.commit()
    client.cookies.set("oc_session", token)
    return blind_index(row.public_id, purpose="csrf")[:32]


def _wang(session: Session) -> Person:
    make_centre(session)
    p = person(session)
    make_account(session, p.id, months=24)  # 86,400.00
    return p


def _no_property_in(url: str) -> None:
    for form in (url, unquote(url), unquote(unquote(url))):
        assert "0765432" not in form and "不动产" not in form, url


def _drafts(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(HpfDraft)) or 0)


def test_the_property_number_never_travels_in_a_url(client: TestClient, session: Session) -> None:
    p = _wang(session)
    csrf = _cookie(client, session, p.id)
    r = client.post("/app/services/provident/withdraw", follow_redirects=False, data={
        "csrf": csrf, "reason": "purchase", "amount": "50000.00", "price": "3000000.00", "property_no": PROPERTY})
    assert r.status_code == 303, r.text
    location = r.headers["location"]
    _no_property_in(location)
    nxt = parse_qs(urlparse(location).query)["next"][0]
    assert set(parse_qs(urlparse(nxt).query)) == {"draft"}  # only the opaque id
    draft_id = parse_qs(urlparse(nxt).query)["draft"][0]
    assert draft_id.startswith("hpd_")
    session.expire_all()
    row = session.scalars(select(HpfDraft)).one()
    assert PROPERTY.encode() not in row.data_enc  # encrypted at rest
    session.rollback()

    grant = make_face_grant(session, p.citizen, act=WITHDRAW_ACT)
    session.commit()
    page = client.get(f"{nxt}&face_grant={grant}")
    assert page.status_code == 200
    assert 'data-testid="confirm-amount">¥50000.00<' in page.text
    assert PROPERTY not in page.text and service.mask_property(PROPERTY) in page.text  # shown masked only
    for url in re.findall(r'(?:href|action|src)="([^"]*)"', page.text):
        _no_property_in(url)
    fields = dict(re.findall(r'name="(\w+)" value="([^"]*)"', page.text))
    assert set(fields) == {"csrf", "draft", "face_grant"}
    done = client.post("/app/services/provident/withdraw/confirm", data=fields, follow_redirects=False)
    assert done.status_code == 303, done.text
    _no_property_in(done.headers["location"])
    session.expire_all()
    w = service.withdrawals(session, citizen_id=p.id)[0]
    # 50,000.00 held for the centre's review; the property kept masked (once-per-property by its index)
    assert (w.reason, w.amount_fen, w.status, w.price_fen) == ("purchase", 5_000_000, "held", 300_000_000)
    assert w.property_masked == service.mask_property(PROPERTY)
    assert _drafts(session) == 0  # used up
    session.rollback()
    again = client.post("/app/services/provident/withdraw/confirm", data=fields)
    assert again.status_code == 404 and 'data-testid="error"' in again.text
    session.expire_all()
    assert len(service.withdrawals(session, citizen_id=p.id)) == 1


def test_a_draft_is_its_citizens_own_and_expires(client: TestClient, session: Session) -> None:
    p = _wang(session)
    other = person(session)
    csrf = _cookie(client, session, p.id)
    r = client.post("/app/services/provident/withdraw", follow_redirects=False, data={
        "csrf": csrf, "reason": "rent", "amount": "1000.00"})
    nxt = parse_qs(urlparse(r.headers["location"]).query)["next"][0]
    draft_id = parse_qs(urlparse(nxt).query)["draft"][0]
    session.expire_all()
    assert service.get_draft(session, draft_id=draft_id, citizen_id=p.id).amount_fen == 100_000
    grant = make_face_grant(session, other.citizen, act=WITHDRAW_ACT)
    session.commit()
    other_csrf = _cookie(client, session, other.id)
    stolen = client.post("/app/services/provident/withdraw/confirm",
                         data={"csrf": other_csrf, "draft": draft_id, "face_grant": grant})
    assert stolen.status_code == 404
    assert client.get(f"{nxt}&face_grant={grant}").status_code == 404
    session.expire_all()
    assert service.withdrawals(session, citizen_id=other.id) == []
    session.rollback()

    clock.advance(service.DRAFT_TTL + timedelta(seconds=1))
    csrf = _cookie(client, session, p.id)
    grant = make_face_grant(session, p.citizen, act=WITHDRAW_ACT)
    session.commit()
    late = client.post("/app/services/provident/withdraw/confirm",
                       data={"csrf": csrf, "draft": draft_id, "face_grant": grant})
    assert late.status_code == 404
    session.expire_all()
    assert service.withdrawals(session, citizen_id=p.id) == []
    session.rollback()
    # a new draft clears the citizen's expired ones
    client.post("/app/services/provident/withdraw", data={"csrf": csrf, "reason": "rent", "amount": "1000.00"},
                follow_redirects=False)
    session.expire_all()
    assert _drafts(session) == 1
