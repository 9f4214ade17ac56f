"""Withdrawals (提取): the rules decide when the citizen applies (refused → nothing changes), the
amount is held by a pending transfer to the clearing account, the application of the reason's
service item pays it (to the wallet or a bound card) or the centre's staff refuse it (released)."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from onecity import clock, outbox
from onecity.audit import service as audit
from onecity.authz import Principal
from onecity.crypto.fields import blind_index
from onecity.identity import service as identity
from onecity.identity.face import service as face
from onecity.ids import new_id
from onecity.ledger import service as ledger
from onecity.money import yuan
from onecity.payments.bank import service as bank
from onecity.payments.bank.schemas import CardOut
from onecity.payments.wallet import service as wallet
from onecity.services.applications import service as applications
from onecity.services.provident import rules
from onecity.services.provident.errors import (
    WithdrawalInvalid,
    WithdrawalNotFound,
    WithdrawalNotHeld,
    refused,
)
from onecity.services.provident.models import (
    HpfAccount,
    HpfWithdrawal,
)
from onecity.services.provident.schemas import (
    QuoteOut,
    WithdrawalIn,
    WithdrawalOut,
)
from onecity.services.provident.service.accounts import (
    HOLD_CODE,
    PAYOUT_CODE,
    WITHDRAW_ACT,
    account_row,
    clearing_account_id,
    contributed_months,
)

# --- withdrawals ------------------------------------------------------------------------------------

def _w_out(w: HpfWithdrawal, account_no: str) -> WithdrawalOut:
    return WithdrawalOut(
        withdrawal_id=w.public_id, account_no=account_no, citizen_id=w.citizen_id, reason=w.reason,
        amount_fen=w.amount_fen, status=w.status, decision=w.decision,  # type: ignore[arg-type]
        decision_code=w.decision_code, rules_version=w.rules_version, period_key=w.period_key,
        registered_lease=w.registered_lease, price_fen=w.price_fen, property_masked=w.property_masked,
        application_id=w.application_id, payout_to="card" if w.payout_card_id else "wallet",
        payout_card_id=w.payout_card_id, refusal=w.refusal, created_at=w.created_at, decided_at=w.decided_at)


def mask_property(number: str) -> str:
    """A property certificate number masked for display (first 4 and last 3 characters)."""
    n = number.strip()
    return n[:4] + "*" * max(0, len(n) - 7) + n[-3:] if len(n) > 7 else "*" * len(n)


def _property_index(number: str) -> str:
    return blind_index("".join(number.split()).upper(), purpose="services.provident.property")


def _facts(session: Session, row: HpfAccount, reason: str, period: str, property_index: str | None) -> rules.Facts:
    """What the rules need to know about the account now: withdrawals held or paid count, refused
    ones do not."""
    live = (HpfWithdrawal.account_row_id == row.id, HpfWithdrawal.status.in_(("held", "paid")))
    times, fen = session.execute(select(func.count(), func.coalesce(func.sum(HpfWithdrawal.amount_fen), 0)).where(
        *live, HpfWithdrawal.reason == reason, HpfWithdrawal.period_key == period)).one()
    p_times, p_fen = 0, 0
    if property_index is not None:
        p_times, p_fen = session.execute(select(func.count(), func.coalesce(func.sum(HpfWithdrawal.amount_fen), 0))
                                         .where(*live, HpfWithdrawal.property_index == property_index)).one()
    who = identity.citizen_summary(session, row.citizen_id)
    return rules.Facts(status=row.status, available_fen=ledger.balance(session, row.ledger_account_id).available_balance,
                       continuous_months=rules.continuous_months(contributed_months(session, row), clock.today_local().date()),
                       times_this_period=int(times), withdrawn_this_period_fen=int(fen),
                       property_withdrawals=int(p_times), property_withdrawn_fen=int(p_fen), age=who.age, sex=who.sex)


def _ask(data: WithdrawalIn) -> rules.Ask:
    return rules.Ask(reason=data.reason, amount_fen=data.amount_fen, registered_lease=data.registered_lease,
                     price_fen=data.price_fen, property_no=data.property_no)


def _decide(session: Session, row: HpfAccount, ask: rules.Ask) -> tuple[rules.CityRules, str, str | None,
                                                                       rules.Decision]:
    city_rules = rules.load(row.city_code)
    rule = city_rules.withdrawals.get(ask.reason)  # type: ignore[call-overload]
    if rule is None:
        raise WithdrawalInvalid(f"{ask.reason} is not offered here")
    period = rules.period_key(rule.period, clock.today_local().date())
    pindex = _property_index(ask.property_no) if ask.property_no else None
    return city_rules, period, pindex, rules.evaluate(rule, _facts(session, row, ask.reason, period, pindex), ask)


def quote(session: Session, *, citizen_id: str, reason: str, amount_fen: int, registered_lease: bool = False,
          price_fen: int | None = None, property_no: str | None = None) -> QuoteOut:
    """What the rules would say now (nothing changes): the withdraw page checks before the face check."""
    row = account_row(session, citizen_id=citizen_id)
    city_rules, _, _, d = _decide(session, row, rules.Ask(reason=reason, amount_fen=amount_fen,
                                                          registered_lease=registered_lease,
                                                          price_fen=price_fen, property_no=property_no))
    return QuoteOut(reason=reason, outcome=d.outcome, code=d.code, max_fen=d.max_fen,
                    rules_version=city_rules.version)


def request_withdrawal(session: Session, *, citizen_id: str, data: WithdrawalIn,
                       actor: Principal | str) -> WithdrawalOut:
    """Apply to withdraw (after a face check for act `provident.withdraw`, its grant used up here).

    The account row is locked, the rules decide on what it shows; refused → WithdrawalRefused with
    the rule's code and nothing changes (the grant stays unused). Accepted → the amount is held (a
    pending transfer from the account to the city's clearing account) and the withdrawal is submitted as an application of the
    reason's service item, whose `auto_check_final` workflow pays it at once when the rules said `auto`
    or sends it to the centre's staff."""
    row = account_row(session, citizen_id=citizen_id, lock=True)
    ask = _ask(data)
    city_rules, period, pindex, d = _decide(session, row, ask)
    if d.outcome == "refuse":
        raise refused(d.code, max_fen=d.max_fen)
    wallet.wallet_account_id(session, citizen_id)  # RealNameRequired before anything is held
    if data.card_id is not None:
        bank.get_card(session, citizen_id=citizen_id, card_id=data.card_id)  # the citizen's own, bound card
    face.consume_grant(session, citizen_id=citizen_id, act=WITHDRAW_ACT, grant_id=data.face_grant)
    now = clock.now()
    public_id = new_id("hpw")
    w = HpfWithdrawal(public_id=public_id, account_row_id=row.id, citizen_id=citizen_id, reason=data.reason,
                      amount_fen=data.amount_fen, status="held", decision=d.outcome, decision_code=d.code,
                      rules_version=city_rules.version, period_key=period, registered_lease=data.registered_lease,
                      price_fen=data.price_fen,
                      property_masked=mask_property(data.property_no) if data.property_no else None,
                      property_index=pindex, hold_transfer_id=f"hpf.w.{public_id}", payout_card_id=data.card_id,
                      created_at=now)
    session.add(w)
    session.flush()
    try:
        ledger.transfer(session, transfer_id=w.hold_transfer_id, debit=row.ledger_account_id,
                        credit=clearing_account_id(session, row.city_code), amount=data.amount_fen,
                        code=HOLD_CODE, ref=public_id, pending=True)
    except ledger.InsufficientFunds as exc:  # unreachable while the row lock holds; kept as the last word
        raise refused("hpf_over_balance", max_fen=d.max_fen) from exc
    audit.record(session, actor=actor, action="services.provident.withdrawal.request", subject_citizen_id=citizen_id,
                 resource=f"services/provident/withdrawals/{public_id}",
                 reason=f"{data.reason} 提取 {yuan(data.amount_fen)} 元（已刷脸验证，规则 {city_rules.version}："
                        f"{d.outcome}/{d.code}） / withdrawal after face verification")
    outbox.emit(session, "services.provident.withdrawal_requested",
                {"withdrawal_id": public_id, "citizen_id": citizen_id, "reason": data.reason,
                 "amount_fen": data.amount_fen, "decision": d.outcome, "decision_code": d.code})
    rule = city_rules.withdrawals[data.reason]  # type: ignore[index]
    application = applications.submit(session, citizen_id=citizen_id, service_code=rule.service_code,
                                      city_code=row.city_code, actor=actor,
                                      form={"withdrawal_id": public_id, "reason": data.reason,
                                            "amount_fen": data.amount_fen})
    w.application_id = application.id
    session.flush()
    return _w_out(w, row.account_no)


def _w_row(session: Session, withdrawal_id: str, *, lock: bool = False) -> HpfWithdrawal:
    q = select(HpfWithdrawal).where(HpfWithdrawal.public_id == withdrawal_id)
    if lock:
        q = q.with_for_update()
    w = session.scalars(q).one_or_none()
    if w is None:
        raise WithdrawalNotFound()
    return w


def _account_no(session: Session, w: HpfWithdrawal) -> str:
    return session.scalar(select(HpfAccount.account_no).where(HpfAccount.id == w.account_row_id)) or ""


def payout_cards(session: Session, *, citizen_id: str) -> list[CardOut]:
    """The bound cards a withdrawal may be paid to (besides the wallet)."""
    return bank.list_cards(session, citizen_id)


def check(session: Session, *, withdrawal_id: str) -> tuple[bool, str]:
    """The automatic check: (True, "auto") when the rules said the withdrawal may be paid without a
    person; otherwise (False, why) — it goes to staff."""
    w = _w_row(session, withdrawal_id)
    if w.status != "held":
        return False, f"not held ({w.status})"
    return (True, "auto") if w.decision == "auto" else (False, w.decision_code)


def pay(session: Session, *, withdrawal_id: str, actor: Principal | str) -> WithdrawalOut:
    """Pay an accepted withdrawal (idempotent: paying a paid one returns it; a refused one is
    WithdrawalNotHeld). The hold is released and, in the same transaction, the amount moves from the
    account to the wallet, or to the bound card: a bank payout the worker sends (pending account →
    bank clearing until the bank confirms; if the bank returns it, the money is back in the account
    and the withdrawal is refused, see `bank_returned`)."""
    w = _w_row(session, withdrawal_id, lock=True)
    if w.status == "paid":
        return _w_out(w, _account_no(session, w))
    if w.status != "held":
        raise WithdrawalNotHeld(status=w.status)
    account = session.scalars(select(HpfAccount).where(HpfAccount.id == w.account_row_id)).one()
    ledger.void_pending(session, transfer_id=f"{w.hold_transfer_id}.release", pending_id=w.hold_transfer_id)
    if w.payout_card_id is None:
        ledger.transfer(session, transfer_id=f"{w.hold_transfer_id}.pay", debit=account.ledger_account_id,
                        credit=wallet.wallet_account_id(session, w.citizen_id), amount=w.amount_fen,
                        code=PAYOUT_CODE, ref=w.public_id)
        where = "钱包 / the wallet"
    else:
        payout = bank.request_card_payout(session, payout_id=w.public_id, from_account=account.ledger_account_id,
                                          citizen_id=w.citizen_id, card_id=w.payout_card_id, amount=w.amount_fen,
                                          purpose="services.provident.withdraw", code=PAYOUT_CODE)
        where = f"银行卡 {payout.account_masked} / a bank card"
    w.status, w.decided_at = "paid", clock.now()
    audit.record(session, actor=actor, action="services.provident.withdrawal.pay", subject_citizen_id=w.citizen_id,
                 resource=f"services/provident/withdrawals/{w.public_id}",
                 reason=f"提取 {yuan(w.amount_fen)} 元到{where}")
    outbox.emit(session, "services.provident.withdrawal_paid",
                {"withdrawal_id": w.public_id, "citizen_id": w.citizen_id, "amount_fen": w.amount_fen})
    return _w_out(w, _account_no(session, w))


def refuse(session: Session, *, withdrawal_id: str, reason: str, actor: Principal | str) -> WithdrawalOut:
    """Refuse a withdrawal waiting for a decision: its hold is voided, the money stays in the account
    (idempotent on a refused one; a paid one is WithdrawalNotHeld)."""
    w = _w_row(session, withdrawal_id, lock=True)
    if w.status == "refused":
        return _w_out(w, _account_no(session, w))
    if w.status != "held":
        raise WithdrawalNotHeld(status=w.status)
    ledger.void_pending(session, transfer_id=f"{w.hold_transfer_id}.release", pending_id=w.hold_transfer_id)
    w.status, w.decided_at, w.refusal = "refused", clock.now(), reason[:500]
    audit.record(session, actor=actor, action="services.provident.withdrawal.refuse", subject_citizen_id=w.citizen_id,
                 resource=f"services/provident/withdrawals/{w.public_id}", reason=reason)
    outbox.emit(session, "services.provident.withdrawal_refused",
                {"withdrawal_id": w.public_id, "citizen_id": w.citizen_id, "amount_fen": w.amount_fen})
    return _w_out(w, _account_no(session, w))



def get_withdrawal(session: Session, *, withdrawal_id: str, citizen_id: str | None = None) -> WithdrawalOut:
    w = _w_row(session, withdrawal_id)
    if citizen_id is not None and w.citizen_id != citizen_id:
        raise WithdrawalNotFound()
    return _w_out(w, _account_no(session, w))


def withdrawals(session: Session, *, citizen_id: str | None = None, status: str | None = None,
                limit: int = 50) -> list[WithdrawalOut]:
    """Withdrawals, newest first: a citizen's, or (for the centre) all of them by status."""
    q = select(HpfWithdrawal, HpfAccount.account_no).join(HpfAccount, HpfAccount.id == HpfWithdrawal.account_row_id)
    if citizen_id is not None:
        q = q.where(HpfWithdrawal.citizen_id == citizen_id)
    if status is not None:
        q = q.where(HpfWithdrawal.status == status)
    q = q.order_by(HpfWithdrawal.id.desc()).limit(max(1, min(limit, 500)))
    return [_w_out(w, no) for w, no in session.execute(q).all()]


def release_for_application(session: Session, *, application_id: str, reason: str) -> WithdrawalOut | None:
    """The withdrawal's application was rejected or withdrawn: refuse it, releasing the hold (nothing
    when it was already decided, or the application is no withdrawal's)."""
    w = session.scalars(select(HpfWithdrawal).where(HpfWithdrawal.application_id == application_id)).one_or_none()
    if w is None or w.status != "held":
        return None
    return refuse(session, withdrawal_id=w.public_id, reason=reason, actor="system")


def bank_returned(session: Session, *, payout_id: str, reason: str) -> WithdrawalOut | None:
    """The bank could not pay a withdrawal to the card (its payout was voided: the money is back in
    the account): the withdrawal is refused with the bank's reason."""
    w = session.scalars(select(HpfWithdrawal).where(HpfWithdrawal.public_id == payout_id)
                        .with_for_update()).one_or_none()
    if w is None or w.status != "paid" or w.payout_card_id is None:
        return None
    w.status, w.refusal = "refused", f"银行退回 returned by the bank: {reason}"[:500]
    audit.record(session, actor="system", action="services.provident.withdrawal.bank_returned",
                 subject_citizen_id=w.citizen_id, resource=f"services/provident/withdrawals/{w.public_id}",
                 reason=w.refusal)
    outbox.emit(session, "services.provident.withdrawal_refused",
                {"withdrawal_id": w.public_id, "citizen_id": w.citizen_id, "amount_fen": w.amount_fen})
    return _w_out(w, _account_no(session, w))
