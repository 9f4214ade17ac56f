"""Instructions to banks: collects (top-ups) and payouts (withdrawals, settlements), their pending
ledger transfers, and how each reaches its outcome.

Money: a collect holds `bank_clearing → account` as a pending transfer (the money is not spendable
until the bank confirms); a payout holds `account → bank_clearing` (the money is reserved). The
bank's success posts the pending transfer, its failure voids it — exactly once, whatever mix of
callbacks (possibly repeated), status queries and reconciliation reports the result.

Life of an instruction (`state`):
    created ──submit──▶ submitted ──result──▶ succeeded | failed
       │                   ▲  └─(silent for QUERY_IF_SILENT)─ query
       └──timeout──▶ unknown ─query: processing / result; not_found: submit again (same id)
Nothing talks to the bank inside a request's transaction: requests only write `created` rows; the
worker's `dispatch` job sends them after commit, each bank call between two short transactions.

Outbox topics: bank.collection.succeeded / bank.collection.failed {"collection_id", …} and
bank.payout.succeeded / bank.payout.failed {"payout_id", …}; both carry purpose, amount, account,
instruction_id, failure_code.
"""

from __future__ import annotations

import logging
import os
from collections import Counter
from datetime import timedelta
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from onecity import clock, outbox
from onecity.audit import service as audit
from onecity.crypto.fields import decrypt_str, encrypt
from onecity.db import is_postgres, transaction
from onecity.errors import Conflict, InvalidInput, NotFound
from onecity.ids import new_id
from onecity.ledger import service as ledger
from onecity.money import yuan
from onecity.payments.bank.models import BankInstruction
from onecity.payments.bank.schemas import InstructionOut, PayoutOut
from onecity.payments.bank.service import cards
from onecity.payments.bank.service.accounts import system_account
from onecity.payments.bank.service.channel import BankChannel, BankRequest, BankResult, BankTimeout
from onecity.payments.bank.service.simulator import SimulatedBank

log = logging.getLogger("onecity.bank")

ENC_ACCOUNT = "bank_instruction.account"
ENC_HOLDER = "bank_instruction.holder"
QUERY_AFTER_TIMEOUT = timedelta(seconds=30)
QUERY_IF_SILENT = timedelta(minutes=10)
MAX_BACKOFF = timedelta(minutes=30)
MAX_NOT_FOUND = 5  # the bank said "never got it" this many times: give up (safe: it has nothing)
MAX_AMOUNT = 100_000_000  # ¥1,000,000 per instruction
ACTIVE = ("created", "submitted", "unknown")
FINAL = ("succeeded", "failed")
BANK_ACTOR = "bank-channel"


class InstructionConflict(Conflict):
    code = "bank_instruction_conflict"
    message_zh = "该编号已用于另一笔不同的银行指令"
    message_en = "This id was already used for a different bank instruction"


class InstructionNotFound(NotFound):
    code = "bank_instruction_not_found"
    message_zh = "找不到该银行指令"
    message_en = "No such bank instruction"


class AmountInvalid(InvalidInput):
    code = "bank_amount_invalid"
    message_zh = "金额须为正整数（分），且不超过单笔限额"
    message_en = "The amount must be a positive whole number of fen within the per-instruction limit"


# --- the channel ------------------------------------------------------------------------------------

_channel: BankChannel | None = None


def channel() -> BankChannel:
    """The configured bank channel (ONECITY_BANK_CHANNEL; the bundled one is `simulator`)."""
    global _channel
    if _channel is None:
        name = os.environ.get("ONECITY_BANK_CHANNEL", "simulator")
        if name != "simulator":
            raise RuntimeError(f"unknown bank channel {name!r}")
        use_channel(SimulatedBank())
    assert _channel is not None
    return _channel


def use_channel(ch: BankChannel | None) -> BankChannel | None:
    """Install a channel (tests install a simulator with their own settings); None = the default."""
    global _channel
    _channel = ch
    if ch is not None:
        ch.set_callback(handle_bank_result)
    return ch


# --- creating instructions ----------------------------------------------------------------------------

def _out(inst: BankInstruction) -> InstructionOut:
    status = inst.state if inst.state in FINAL else "processing"
    return InstructionOut(
        instruction_id=inst.public_id, client_ref=inst.client_ref, kind=inst.kind,  # type: ignore[arg-type]
        purpose=inst.purpose, status=status, state=inst.state,  # type: ignore[arg-type]
        amount=inst.amount, currency=inst.currency, account_masked=inst.account_masked, bank_code=inst.bank_code,
        ledger_account=inst.ledger_account, pending_transfer_id=inst.pending_transfer_id, bank_ref=inst.bank_ref,
        failure_code=inst.failure_code, created_at=inst.created_at,
        completed_at=inst.updated_at if inst.state in FINAL else None,
    )


def _payout_out(inst: BankInstruction) -> PayoutOut:
    return PayoutOut(**_out(inst).model_dump(), payout_id=inst.client_ref)


def _create(session: Session, *, kind: Literal["collect", "payout"], client_ref: str, ledger_account: str,
            account_number: str, holder_name: str, amount: int, purpose: str, code: str,
            citizen_id: str | None = None, card_id: str | None = None) -> BankInstruction:
    if not isinstance(amount, int) or isinstance(amount, bool) or not 0 < amount <= MAX_AMOUNT:
        raise AmountInvalid()
    if not client_ref or len(client_ref) > 80 or not purpose or len(purpose) > 60:
        raise InvalidInput(detail="client_ref (≤ 80) and purpose (≤ 60) are required")
    masked = cards.mask_card(account_number)
    existing = session.scalars(select(BankInstruction).where(BankInstruction.client_ref == client_ref)).one_or_none()
    if existing is not None:
        same = (existing.kind, existing.ledger_account, existing.amount, existing.purpose, existing.account_masked) \
            == (kind, ledger_account, amount, purpose, masked)
        if not same:
            raise InstructionConflict(detail=f"{client_ref} was used for another instruction")
        return existing
    clearing = system_account(session, "bank_clearing")
    debit, credit = (clearing, ledger_account) if kind == "collect" else (ledger_account, clearing)
    hold_id = f"bank:{client_ref}"
    # Limits (a payout larger than the wallet's available balance) raise here and change nothing.
    ledger.transfer(session, transfer_id=hold_id, debit=debit, credit=credit, amount=amount, code=code,
                    ref=client_ref, pending=True)
    now = clock.now()
    bank = cards.bank_for(account_number)
    inst = BankInstruction(
        public_id=new_id("bki"), client_ref=client_ref, kind=kind, purpose=purpose, channel=channel().name,
        citizen_id=citizen_id, card_id=card_id, bank_code=bank.code if bank else None,
        account_enc=encrypt(account_number, purpose=ENC_ACCOUNT), account_masked=masked,
        holder_enc=encrypt(holder_name, purpose=ENC_HOLDER), amount=amount, currency="CNY",
        ledger_account=ledger_account, pending_transfer_id=hold_id, state="created", attempts=0,
        next_action_at=now, created_at=now, updated_at=now,
    )
    session.add(inst)
    session.flush()
    return inst


def request_collection(session: Session, *, collection_id: str, to_account: str, citizen_id: str, card_id: str,
                       amount: int, purpose: str, code: str = "top_up") -> InstructionOut:
    """Debit the citizen's bound card and credit `to_account` once the bank confirms (pending until
    then). Idempotent by `collection_id`."""
    card, number = cards.card_number(session, citizen_id=citizen_id, card_id=card_id)
    from onecity.identity import service as identity

    holder = identity.real_name(session, citizen_id) or ""
    inst = _create(session, kind="collect", client_ref=collection_id, ledger_account=to_account,
                   account_number=number, holder_name=holder, amount=amount, purpose=purpose, code=code,
                   citizen_id=citizen_id, card_id=card.public_id)
    return _out(inst)


def request_card_payout(session: Session, *, payout_id: str, from_account: str, citizen_id: str, card_id: str,
                        amount: int, purpose: str, code: str = "withdrawal") -> PayoutOut:
    """`request_payout` to one of the citizen's bound cards (a wallet withdrawal)."""
    card, number = cards.card_number(session, citizen_id=citizen_id, card_id=card_id)
    from onecity.identity import service as identity

    holder = identity.real_name(session, citizen_id) or ""
    inst = _create(session, kind="payout", client_ref=payout_id, ledger_account=from_account,
                   account_number=number, holder_name=holder, amount=amount, purpose=purpose, code=code,
                   citizen_id=citizen_id, card_id=card.public_id)
    return _payout_out(inst)


def request_payout(session: Session, *, payout_id: str, from_account: str, bank_account: str, holder_name: str,
                   amount: int, purpose: str, code: str = "payout") -> PayoutOut:
    """Pay `amount` from `from_account` to a bank account: a pending ledger transfer from_account →
    bank_clearing now; posted when the bank confirms, voided if it fails (outbox
    bank.payout.succeeded / bank.payout.failed). Idempotent by `payout_id`: the same request returns
    the first one's result; different fields under the same id → InstructionConflict."""
    number = "".join(bank_account.split())
    if not number.isdigit() or not 8 <= len(number) <= 30 or not holder_name.strip():
        raise InvalidInput(detail="bank_account must be digits and holder_name is required")
    inst = _create(session, kind="payout", client_ref=payout_id, ledger_account=from_account,
                   account_number=number, holder_name=holder_name.strip(), amount=amount, purpose=purpose, code=code)
    return _payout_out(inst)


def get_instruction(session: Session, client_ref: str) -> InstructionOut:
    inst = session.scalars(select(BankInstruction).where(BankInstruction.client_ref == client_ref)).one_or_none()
    if inst is None:
        raise InstructionNotFound()
    return _out(inst)


def get_payout(session: Session, payout_id: str) -> PayoutOut:
    inst = session.scalars(select(BankInstruction).where(BankInstruction.client_ref == payout_id,
                                                         BankInstruction.kind == "payout")).one_or_none()
    if inst is None:
        raise InstructionNotFound()
    return _payout_out(inst)


def instructions_for(session: Session, client_refs: list[str]) -> dict[str, InstructionOut]:
    if not client_refs:
        return {}
    rows = session.scalars(select(BankInstruction).where(BankInstruction.client_ref.in_(client_refs)))
    return {r.client_ref: _out(r) for r in rows}


# --- reaching an outcome --------------------------------------------------------------------------------

def _locked(session: Session, instruction_id: str) -> BankInstruction | None:
    q = select(BankInstruction).where(BankInstruction.public_id == instruction_id)
    if is_postgres(session):
        q = q.with_for_update()
    return session.scalars(q).one_or_none()


def finish(session: Session, inst: BankInstruction, result: BankResult, *, source: str) -> str:
    """Apply the bank's final result to a locked instruction, once: post or void its pending transfer,
    emit the outcome, audit it for the citizen. A result for an instruction that already has one is a
    duplicate (same outcome: ignored) or a contradiction (logged, left to reconciliation)."""
    assert result.status in FINAL
    if inst.state in FINAL:
        if inst.state == result.status:
            return "duplicate"
        log.error("bank result contradicts the recorded outcome",
                  extra={"instruction": inst.public_id, "recorded": inst.state, "reported": result.status})
        return "contradiction"
    if result.status == "succeeded" and result.amount is not None and result.amount != inst.amount:
        log.error("bank reports another amount", extra={"instruction": inst.public_id, "ours": inst.amount,
                                                        "bank": result.amount})
        return "amount_mismatch"
    now = clock.now()
    if result.status == "succeeded":
        ledger.post_pending(session, transfer_id=f"{inst.pending_transfer_id}:post", pending_id=inst.pending_transfer_id)
    else:
        ledger.void_pending(session, transfer_id=f"{inst.pending_transfer_id}:void", pending_id=inst.pending_transfer_id)
    inst.state = result.status
    inst.failure_code = result.failure_code if result.status == "failed" else None
    inst.bank_ref = result.bank_ref or inst.bank_ref
    inst.bank_completed_at = result.completed_at or now
    inst.bank_date = result.business_date or (result.completed_at or now).astimezone(clock.CITY_TZ).date()
    inst.resolved_by = source
    inst.next_action_at = None
    inst.updated_at = now
    topic_kind, id_key = ("collection", "collection_id") if inst.kind == "collect" else ("payout", "payout_id")
    outbox.emit(session, f"bank.{topic_kind}.{result.status}", {
        id_key: inst.client_ref, "purpose": inst.purpose, "instruction_id": inst.public_id, "amount": inst.amount,
        "currency": inst.currency, "account": inst.ledger_account, "citizen_id": inst.citizen_id,
        "failure_code": inst.failure_code, "bank_ref": inst.bank_ref,
    })
    if inst.citizen_id:
        what = "充值 top-up" if inst.kind == "collect" else "提现 withdrawal"
        outcome = "成功 succeeded" if result.status == "succeeded" else f"失败 failed ({inst.failure_code})"
        audit.record(session, actor=BANK_ACTOR, action=f"bank.{inst.kind}.{result.status}",
                     subject_citizen_id=inst.citizen_id, resource=f"bank_instruction/{inst.public_id}",
                     reason=f"银行卡 {inst.account_masked} {what} {yuan(inst.amount)} 元 {outcome}")
    session.flush()
    return result.status


def handle_bank_result(result: BankResult) -> str:
    """The receiver of the bank's callbacks (the simulator calls it; a real bank's HTTP callback would
    land here): applies a final result in its own transaction; repeats are harmless."""
    if result.status not in FINAL:
        return "ignored"
    with transaction() as s:
        inst = _locked(s, result.request_id)
        if inst is None:
            log.warning("bank callback for an unknown request", extra={"request_id": result.request_id})
            return "unknown"
        return finish(s, inst, result, source="callback")


def _backoff(attempts: int) -> timedelta:
    return min(QUERY_AFTER_TIMEOUT * 2 ** max(attempts - 1, 0), MAX_BACKOFF)


def dispatch(limit: int = 100) -> dict[str, int]:
    """One pass of the worker over the instructions that need the bank: send the new ones, query the
    ones whose answer was lost (timeout) or that stayed silent. Run outside any transaction."""
    now = clock.now()
    with transaction() as s:
        due = list(s.scalars(select(BankInstruction.public_id).where(
            BankInstruction.state.in_(ACTIVE), BankInstruction.next_action_at <= now)
            .order_by(BankInstruction.next_action_at, BankInstruction.id).limit(limit)))
    counts: Counter[str] = Counter()
    for iid in due:
        counts[advance(iid)] += 1
    return dict(counts)


def advance(instruction_id: str) -> str:
    """Take one instruction one step with the bank (see the module docstring)."""
    now = clock.now()
    with transaction() as s:
        row = s.scalars(select(BankInstruction).where(BankInstruction.public_id == instruction_id)).one()
        if row.state not in ACTIVE or row.next_action_at is None or row.next_action_at > now:
            return "skipped"
        state = row.state
        request = BankRequest(request_id=row.public_id, kind=row.kind,  # type: ignore[arg-type]
                              account_number=decrypt_str(row.account_enc, purpose=ENC_ACCOUNT),
                              holder_name=decrypt_str(row.holder_enc, purpose=ENC_HOLDER),
                              amount=row.amount, currency=row.currency)
    ch = channel()
    try:
        if state == "created":
            result = ch.submit(request)
        else:
            result = ch.query(instruction_id)
            if result.status == "not_found" and state == "unknown":
                result = ch.submit(request)  # it never arrived: send it again under the same id
    except Exception as exc:  # noqa: BLE001 - a timeout, or any failure of the call: the bank may have it
        if not isinstance(exc, BankTimeout):
            log.warning("bank call failed", extra={"instruction": instruction_id, "error": repr(exc)[:300]})
        with transaction() as s:
            inst = _locked(s, instruction_id)
            if inst is None or inst.state not in ACTIVE:
                return "skipped"
            inst.state, inst.attempts = "unknown", inst.attempts + 1
            inst.next_action_at = clock.now() + _backoff(inst.attempts)
            inst.updated_at = clock.now()
        return "timeout"
    with transaction() as s:
        inst = _locked(s, instruction_id)
        if inst is None or inst.state in FINAL:
            return "already_final"
        inst.updated_at = clock.now()
        if result.status == "processing":
            inst.state, inst.attempts = "submitted", 0
            inst.bank_ref = result.bank_ref
            inst.next_action_at = clock.now() + QUERY_IF_SILENT
            return "submitted"
        if result.status == "not_found":
            inst.attempts += 1
            if inst.attempts >= MAX_NOT_FOUND:
                return finish(s, inst, BankResult(instruction_id, "failed", failure_code="bank_unreachable"),
                              source="query")
            inst.state = "unknown"
            inst.next_action_at = clock.now() + _backoff(inst.attempts)
            return "not_found"
        return finish(s, inst, result, source="submit" if state == "created" else "query")


def run_channel() -> dict[str, int]:
    """Let the channel do its asynchronous work (the simulator decides and calls back)."""
    return channel().run()
