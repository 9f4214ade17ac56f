"""Taxes: assessments, payment through the ledger, the signed receipt and its verification."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from onecity import clock
from onecity.errors import DomainError
from onecity.payments.wallet import service as wallet
from onecity.services import collection
from onecity.services.applications import service as applications
from onecity.services.taxes import service
from onecity.services.taxes.models import TaxAssessment, TaxReceipt
from onecity.services.taxes.schemas import AssessmentIn
from tests.identity.family.factories import person
from tests.identity.orgs.factories import make_org
from tests.payments.trade.factories import fund_wallet
from tests.services.taxes.factories import ACTOR, Bureau, assess


def _count(session: Session, model: type) -> int:
    return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_paying_two_items_gives_one_signed_receipt(session: Session, bureau: Bureau) -> None:
    p = person(session)
    fund_wallet(session, p.id, 200_000)  # 2,000.00
    car = assess(session, bureau, p, item="vehicle_vessel", period="2026", amount=36_000)  # 360.00
    si = assess(session, bureau, p, item="flexible_social_insurance", period="2026-11", amount=117_950)  # 1,179.50
    r = service.pay(session, citizen_id=p.id, assessment_ids=[car.assessment_id, si.assessment_id],
                    expected_fen=153_950)
    # 360.00 + 1,179.50 = 1,539.50; the wallet 2,000.00 − 1,539.50 = 460.50
    assert r.total_fen == 153_950
    assert wallet.wallet_balance(session, p.id) == 46_050
    assert collection.received(session, bureau.org.public_id) == 153_950
    assert r.receipt_no.startswith("44030020261126") and len(r.receipt_no) == 22
    assert [i.item for i in r.items] == ["vehicle_vessel", "flexible_social_insurance"]
    assert [n.title.zh for n in applications.list_notices(session, citizen_id=p.id)] == [
        "待缴灵活就业人员社会保险费", "待缴车船税"]
    assert service.verify_receipt(session, receipt_no=r.receipt_no).valid
    assert service.verify_receipt(session, receipt_no=r.receipt_no, signature=r.signature).valid
    mine = service.my_taxes(session, citizen_id=p.id)
    assert mine.due == [] and {a.receipt_no for a in mine.paid} == {r.receipt_no}


def test_a_late_payment_adds_the_surcharge(session: Session, bureau: Bureau) -> None:
    p = person(session)
    fund_wallet(session, p.id, 100_000)
    a = assess(session, bureau, p, amount=36_000, due_on=date(2026, 12, 31))
    clock.freeze(clock.now() + timedelta(days=65))  # 30 January 2027: 30 days late
    shown = service.my_taxes(session, citizen_id=p.id).due[0]
    # 360.00 × 0.05% × 30 = 5.40 → 365.40
    assert (shown.surcharge_fen, shown.total_fen) == (540, 36_540)
    with pytest.raises(DomainError) as e:  # the citizen was shown 360.00 earlier
        service.pay(session, citizen_id=p.id, assessment_ids=[a.assessment_id], expected_fen=36_000)
    assert e.value.code == "tax_amount_changed"
    r = service.pay(session, citizen_id=p.id, assessment_ids=[a.assessment_id], expected_fen=36_540)
    assert (r.items[0].surcharge_fen, r.total_fen) == (540, 36_540)
    assert wallet.wallet_balance(session, p.id) == 63_460  # 1,000.00 − 365.40
    paid = service.my_taxes(session, citizen_id=p.id).paid[0]
    assert (paid.surcharge_fen, paid.total_fen) == (540, 36_540)


def test_paying_twice_is_refused_and_changes_nothing(session: Session, bureau: Bureau) -> None:
    p = person(session)
    fund_wallet(session, p.id, 100_000)
    a = assess(session, bureau, p)
    b = assess(session, bureau, p, item="iit_annual", period="2025", amount=1_234)
    service.pay(session, citizen_id=p.id, assessment_ids=[a.assessment_id])
    with pytest.raises(DomainError) as e:  # b is due but a is paid: the whole payment is refused
        service.pay(session, citizen_id=p.id, assessment_ids=[a.assessment_id, b.assessment_id])
    assert (e.value.code, e.value.status) == ("tax_already_paid", 409)
    assert wallet.wallet_balance(session, p.id) == 64_000  # 1,000.00 − 360.00, once
    assert _count(session, TaxReceipt) == 1
    assert service.my_taxes(session, citizen_id=p.id).due[0].assessment_id == b.assessment_id


def test_someone_elses_assessment_cannot_be_paid(session: Session, bureau: Bureau) -> None:
    p, other = person(session), person(session)
    fund_wallet(session, other.id, 100_000)
    a = assess(session, bureau, p)
    with pytest.raises(DomainError) as e:
        service.pay(session, citizen_id=other.id, assessment_ids=[a.assessment_id])
    assert e.value.code == "tax_assessment_not_found"
    assert wallet.wallet_balance(session, other.id) == 100_000


def test_an_altered_receipt_does_not_verify(session: Session, bureau: Bureau) -> None:
    p = person(session)
    fund_wallet(session, p.id, 100_000)
    r = service.pay(session, citizen_id=p.id, assessment_ids=[assess(session, bureau, p).assessment_id])
    row = session.scalars(select(TaxReceipt)).one()
    row.total_fen = 100  # someone edits the amount
    session.flush()
    assert not service.verify_receipt(session, receipt_no=r.receipt_no).valid
    row.total_fen = r.total_fen
    session.flush()
    assert service.verify_receipt(session, receipt_no=r.receipt_no).valid
    other_sig = r.signature[:10] + ("B" if r.signature[10] == "A" else "A") + r.signature[11:]
    assert not service.verify_receipt(session, receipt_no=r.receipt_no, signature=other_sig).valid
    assert not service.verify_receipt(session, receipt_no="44030020261126999999").valid


def test_bad_assessments_are_refused_and_nothing_is_issued(session: Session, bureau: Bureau) -> None:
    p = person(session)
    good = dict(id_number=p.id_number, item="vehicle_vessel", period="2026", amount_fen=36_000,
                due_on=date(2026, 12, 31))
    for change, code in (({"item": "dog_tax"}, "tax_item_unknown"), ({"period": "2026-10"}, "tax_assessment_invalid")):
        with pytest.raises(DomainError) as e:
            service.issue_assessment(session, office_org_id=bureau.org.public_id, actor=ACTOR,
                                     assessment=AssessmentIn(**{**good, **change}))
        assert e.value.code == code
    with pytest.raises(DomainError) as e:
        service.issue_assessment(session, office_org_id=make_org(session, kind="agency").public_id, actor=ACTOR,
                                 assessment=AssessmentIn(**good))
    assert e.value.code == "tax_not_an_office"
    assert _count(session, TaxAssessment) == 0


def test_an_upload_is_idempotent_by_reference(session: Session, bureau: Bureau) -> None:
    p = person(session)
    a = assess(session, bureau, p, ref="SZ-2026-000001")
    assert assess(session, bureau, p, ref="SZ-2026-000001").assessment_id == a.assessment_id
    with pytest.raises(DomainError) as e:
        assess(session, bureau, p, ref="SZ-2026-000001", amount=1)
    assert e.value.code == "tax_assessment_conflict"
    assert _count(session, TaxAssessment) == 1


@pytest.mark.parametrize("alter", [
    pytest.param(lambda r: setattr(r, "payer_name_masked", r.payer_name_masked + "甲"), id="payer"),
    pytest.param(lambda r: setattr(r, "citizen_id", "cit_someone_else"), id="citizen"),
    pytest.param(lambda r: setattr(r, "office_org_id", "org_another_office"), id="office"),
    pytest.param(lambda r: setattr(r, "total_fen", r.total_fen - 1), id="total"),
    pytest.param(lambda r: setattr(r, "issued_at", r.issued_at + timedelta(seconds=1)), id="issued_at"),
    pytest.param(lambda r: setattr(r, "key_id", "0" * 16), id="key_id"),
    pytest.param(lambda r: setattr(r, "items", [{**r.items[0], "item": "deed"}]), id="item"),
    pytest.param(lambda r: setattr(r, "items", [{**r.items[0], "period": r.items[0]["period"] + "0"}]), id="period"),
    pytest.param(lambda r: setattr(r, "items", [{**r.items[0], "amount_fen": r.items[0]["amount_fen"] + 1}]),
                 id="amount"),
    pytest.param(lambda r: setattr(r, "items", [{**r.items[0], "surcharge_fen": r.items[0]["surcharge_fen"] + 1}]),
                 id="surcharge"),
    pytest.param(lambda r: setattr(r, "items", [{**r.items[0], "assessment_id": "txa_other"}]), id="assessment"),
])
def test_the_signature_covers_every_printed_fact(session: Session, bureau: Bureau, alter: object) -> None:
    # every alteration is relative to the value or a value no receipt has (the vehicle and vessel
    # tax of "2026" becomes deed tax, the payer's masked name gets a character more)
    p = person(session)
    fund_wallet(session, p.id, 100_000)
    r = service.pay(session, citizen_id=p.id, assessment_ids=[assess(session, bureau, p).assessment_id])
    row = session.scalars(select(TaxReceipt)).one()
    assert service.verify_receipt(session, receipt_no=r.receipt_no).valid
    alter(row)  # type: ignore[operator]
    session.flush()
    assert not service.verify_receipt(session, receipt_no=r.receipt_no).valid
    assert not service.verify_receipt(session, receipt_no=r.receipt_no, signature=r.signature).valid
