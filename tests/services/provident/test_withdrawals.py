"""Withdrawals end to end in the service: the rules decide, a face grant is used up, the amount is
held, and the `auto_check` application pays it at once or refers it to the centre's staff, who
approve (paid) or reject (the hold released). Refusals change nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from onecity.identity.face import service as face
from onecity.identity.orgs.models import Org
from onecity.payments.wallet import service as wallet
from onecity.services.applications import service as applications
from onecity.services.provident import service
from onecity.services.provident.errors import WithdrawalRefused
from onecity.services.provident.models import HpfWithdrawal
from onecity.services.provident.service import WITHDRAW_ACT
from tests.identity.family.factories import Person, make_face_grant, person
from tests.services.provident.factories import deliver_application_events, make_account, reviewer, withdrawal


def _grant(session: Session, p: Person) -> str:
    return make_face_grant(session, p.citizen, act=WITHDRAW_ACT)


def _count(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(HpfWithdrawal)) or 0)


def test_rent_1500_is_approved_automatically_and_paid_to_the_wallet(session: Session, wang: Person) -> None:
    before = wallet.wallet_balance(session, wang.id)
    w = service.request_withdrawal(session, citizen_id=wang.id, data=withdrawal(grant=_grant(session, wang)),
                                   actor=wang.id)
    assert (w.status, w.decision, w.decision_code) == ("paid", "auto", "auto")
    assert wallet.wallet_balance(session, wang.id) == before + 150_000
    acc = service.get_account(session, citizen_id=wang.id)
    assert (acc.balance_fen, acc.held_fen) == (8_640_000 - 150_000, 0)  # 86,400.00 − 1,500.00 = 84,900.00
    app = applications.get_application(session, application_id=w.application_id or "")
    assert (app.service_code, app.state, app.outcome) == ("hpf.withdraw.rent", "approved", "approved")
    assert service.statement(session, citizen_id=wang.id).lines[-1].amount_fen == -150_000


@pytest.mark.parametrize(("kw", "code"), [
    ({"amount_fen": 150_001}, "hpf_over_limit"),  # 1,500.01 > 1,500.00 a month without a registered lease
    ({"amount_fen": 250_001, "registered_lease": True}, "hpf_over_limit"),  # > 2,500.00 with one
    ({"reason": "purchase", "amount_fen": 100_000}, "hpf_property_required"),
    ({"reason": "purchase", "amount_fen": 8_639_001, "price_fen": 90_000_000, "property_no": "粤2026深圳不动产权第0001号"},
     "hpf_over_balance"),  # 86,400.00 less 10.00 kept = 86,390.00 at most
    ({"reason": "retirement", "amount_fen": 8_640_000}, "hpf_not_retired"),
])
def test_refusals_change_nothing(session: Session, wang: Person, kw: dict[str, object], code: str) -> None:
    grant = _grant(session, wang)
    before = wallet.wallet_balance(session, wang.id)
    with pytest.raises(WithdrawalRefused) as err:
        service.request_withdrawal(session, citizen_id=wang.id, data=withdrawal(grant=grant, **kw), actor=wang.id)
    assert err.value.code == code
    assert _count(session) == 0
    assert wallet.wallet_balance(session, wang.id) == before
    assert service.get_account(session, citizen_id=wang.id).available_fen == 8_640_000
    face.consume_grant(session, citizen_id=wang.id, act=WITHDRAW_ACT, grant_id=grant)  # still unused


def test_once_a_month(session: Session, wang: Person) -> None:
    service.request_withdrawal(session, citizen_id=wang.id, data=withdrawal(amount_fen=50_000,
                                                                            grant=_grant(session, wang)), actor="t")
    with pytest.raises(WithdrawalRefused) as err:
        service.request_withdrawal(session, citizen_id=wang.id, data=withdrawal(amount_fen=50_000,
                                                                                grant=_grant(session, wang)),
                                   actor="t")
    assert err.value.code == "hpf_too_frequent"


def test_without_a_valid_face_grant_nothing_happens(session: Session, wang: Person) -> None:
    for grant in ("fgr_missing", make_face_grant(session, wang.citizen, act="wallet.withdraw")):
        with pytest.raises(face.FaceGrantInvalid):
            service.request_withdrawal(session, citizen_id=wang.id, data=withdrawal(grant=grant), actor="t")
    assert _count(session) == 0
    assert service.get_account(session, citizen_id=wang.id).available_fen == 8_640_000


def test_too_few_months_is_refused(session: Session, centre: Org) -> None:
    p = person(session)
    make_account(session, p.id, months=2)
    with pytest.raises(WithdrawalRefused) as err:
        service.request_withdrawal(session, citizen_id=p.id, data=withdrawal(amount_fen=1_000,
                                                                             grant=_grant(session, p)), actor="t")
    assert err.value.code == "hpf_not_continuous"


def _staff_decides(session: Session, centre: Org, application_id: str, action: str, reason: str | None = None):  # type: ignore[no-untyped-def]
    p = reviewer(session, centre)
    applications.act(session, application_id=application_id, action="claim", principal=p)
    return applications.act(session, application_id=application_id, action=action, principal=p, reason=reason)


def test_purchase_goes_to_staff_holding_the_amount_then_is_paid(session: Session, centre: Org,
                                                                wang: Person) -> None:
    w = service.request_withdrawal(session, citizen_id=wang.id, data=withdrawal(
        reason="purchase", amount_fen=5_000_000, price_fen=300_000_000, property_no="粤(2026)深圳市不动产权第0123456号",
        grant=_grant(session, wang)), actor="t")
    assert (w.status, w.decision, w.decision_code) == ("held", "refer", "staff_review")
    assert w.property_masked is not None and "0123456" not in w.property_masked
    acc = service.get_account(session, citizen_id=wang.id)
    # 86,400.00 held 50,000.00: 36,400.00 available, the balance unchanged until paid
    assert (acc.balance_fen, acc.held_fen, acc.available_fen) == (8_640_000, 5_000_000, 3_640_000)
    app = applications.get_application(session, application_id=w.application_id or "")
    assert app.state == "referred"
    before = wallet.wallet_balance(session, wang.id)
    _staff_decides(session, centre, app.id, "approve")
    assert service.get_withdrawal(session, withdrawal_id=w.withdrawal_id).status == "paid"
    assert wallet.wallet_balance(session, wang.id) == before + 5_000_000
    assert service.get_account(session, citizen_id=wang.id).balance_fen == 3_640_000
    # the same property again: once per property
    with pytest.raises(WithdrawalRefused) as err:
        service.request_withdrawal(session, citizen_id=wang.id, data=withdrawal(
            reason="purchase", amount_fen=100_000, price_fen=300_000_000,
            property_no="粤(2026)深圳市不动产权第0123456号", grant=_grant(session, wang)), actor="t")
    assert err.value.code == "hpf_property_used"


def test_a_rejected_withdrawal_releases_the_hold(session: Session, centre: Org, wang: Person) -> None:
    w = service.request_withdrawal(session, citizen_id=wang.id, data=withdrawal(
        amount_fen=200_000, registered_lease=True, grant=_grant(session, wang)), actor="t")
    assert (w.status, w.decision_code) == ("held", "lease_check")
    assert service.get_account(session, citizen_id=wang.id).available_fen == 8_640_000 - 200_000
    app = _staff_decides(session, centre, w.application_id or "", "reject", "租赁备案不符 lease not registered")
    assert app.state == "rejected"
    deliver_application_events(session)
    out = service.get_withdrawal(session, withdrawal_id=w.withdrawal_id)
    assert out.status == "refused" and out.refusal
    acc = service.get_account(session, citizen_id=wang.id)
    assert (acc.balance_fen, acc.held_fen) == (8_640_000, 0)
    # the month's rent withdrawal was refused, so it does not count: another may be made
    again = service.request_withdrawal(session, citizen_id=wang.id, data=withdrawal(grant=_grant(session, wang)),
                                       actor="t")
    assert again.status == "paid"


def test_withdrawal_state_machine_refuses_illegal_changes(session: Session, wang: Person) -> None:
    from onecity.services.provident.errors import WithdrawalNotHeld

    paid = service.request_withdrawal(session, citizen_id=wang.id, data=withdrawal(grant=_grant(session, wang)),
                                      actor="t")
    assert service.pay(session, withdrawal_id=paid.withdrawal_id, actor="t").status == "paid"  # idempotent
    with pytest.raises(WithdrawalNotHeld):
        service.refuse(session, withdrawal_id=paid.withdrawal_id, reason="x", actor="t")
    held = service.request_withdrawal(session, citizen_id=wang.id, data=withdrawal(
        reason="purchase", amount_fen=100_000, price_fen=100_000_000, property_no="粤2026深圳0002",
        grant=_grant(session, wang)), actor="t")
    service.refuse(session, withdrawal_id=held.withdrawal_id, reason="no", actor="t")
    assert service.refuse(session, withdrawal_id=held.withdrawal_id, reason="no", actor="t").status == "refused"
    with pytest.raises(WithdrawalNotHeld):
        service.pay(session, withdrawal_id=held.withdrawal_id, actor="t")
    assert service.check(session, withdrawal_id=held.withdrawal_id)[0] is False
