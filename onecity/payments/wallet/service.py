"""The wallet's API for other modules and for its own pages: the citizen's wallet account, its
balance and history, top-ups and withdrawals.

A wallet is a ledger account (code "wallet", key `wallet:<citizen>:CNY`, flag
DEBITS_MUST_NOT_EXCEED_CREDITS: it never goes below zero). It is opened when identity reports the
citizen verified (subscriber) and lazily by `wallet_account_id`; only real-name citizens have one.

Top-up: a collect from the citizen's bound card (bank.service) — pending `bank_clearing → wallet`,
spendable once the bank confirms. Withdrawal: after a face verification for act `wallet.withdraw`,
a payout to the card — pending `wallet → bank_clearing`, the money held until the bank confirms
(posted) or fails (voided: the money is back). The bank-side state is the instruction's.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from onecity import clock
from onecity.audit import service as audit
from onecity.authz import Principal, RealNameRequired
from onecity.errors import Conflict, DomainError, InvalidInput, NotFound
from onecity.identity import service as identity
from onecity.identity.face import service as face
from onecity.identity.orgs import service as orgs
from onecity.ids import new_id
from onecity.ledger import service as ledger
from onecity.ledger.schemas import DEBITS_MUST_NOT_EXCEED_CREDITS, Balance, TransferOut
from onecity.money import yuan
from onecity.payments.bank import service as bank
from onecity.payments.bank.schemas import InstructionOut
from onecity.payments.wallet.models import WalletBankTransfer
from onecity.payments.wallet.schemas import (
    MAX_AMOUNT,
    BankTransferOut,
    HistoryItem,
    HistoryPage,
    WalletOut,
)

CURRENCY = "CNY"
ACCOUNT_CODE = "wallet"
WITHDRAW_ACT = "wallet.withdraw"
TOP_UP_CODE = "top_up"
WITHDRAWAL_CODE = "withdrawal"

# Ledger transfer codes → how a citizen reads them (purpose), zh-CN and en.
PURPOSES: dict[str, tuple[str, str]] = {
    TOP_UP_CODE: ("充值", "Top-up"),
    WITHDRAWAL_CODE: ("提现", "Withdrawal"),
    "trade.pay": ("付款", "Payment"),
    "trade.refund": ("退款", "Refund"),
    "trade.fee": ("手续费", "Fee"),
    "transfer": ("转账", "Transfer"),
    "fare": ("乘车", "Transit fare"),
    "medical": ("医保支付", "Medical payment"),
    "fine": ("罚款", "Fine"),
    "tax": ("缴税", "Tax"),
    "bill": ("缴费", "Bill payment"),
    "services.provident": ("公积金提取", "Provident fund withdrawal"),
    "services.fee": ("办事费用", "Service fee"),
    "services.bills.refund": ("缴费退款", "Bill refund"),
}
_PREFIX_PURPOSES = {"trade.": ("交易", "Trade"), "transit.": ("乘车", "Transit"), "medinsure.": ("医保", "Medical"),
                    "services.": ("缴费", "City services")}


def purpose_of(code: str) -> tuple[str, str]:
    """How a citizen reads a ledger transfer code (zh-CN, en); unknown codes show as they are."""
    if code in PURPOSES:
        return PURPOSES[code]
    for prefix, words in _PREFIX_PURPOSES.items():
        if code.startswith(prefix):
            return words
    return code, code


class WalletRequestConflict(Conflict):
    code = "wallet_request_conflict"
    message_zh = "该请求编号已用于另一笔不同的充值或提现"
    message_en = "This request key was already used for a different top-up or withdrawal"


class WalletTransferNotFound(NotFound):
    code = "wallet_transfer_not_found"
    message_zh = "找不到该笔充值或提现"
    message_en = "No such top-up or withdrawal"


# --- the account --------------------------------------------------------------------------------------

def wallet_key(citizen_id: str) -> str:
    return f"wallet:{citizen_id}:{CURRENCY}"


def wallet_account_id(session: Session, citizen_id: str) -> str:
    """The citizen's CNY wallet account id, opened (idempotently) on first use. Raises
    RealNameRequired for a citizen who is not real-name verified (CitizenNotFound for no citizen)."""
    existing = ledger.account_by_key(session, wallet_key(citizen_id))
    if existing is not None:
        return existing.id
    if not identity.citizen_summary(session, citizen_id).verified:
        raise RealNameRequired()
    account = ledger.open_account(session, key=wallet_key(citizen_id), code=ACCOUNT_CODE, owner=citizen_id,
                                  currency=CURRENCY, flags=DEBITS_MUST_NOT_EXCEED_CREDITS, name="钱包 wallet")
    return account.id


def wallet_balances(session: Session, citizen_id: str) -> Balance:
    return ledger.balance(session, wallet_account_id(session, citizen_id))


def wallet_balance(session: Session, citizen_id: str) -> int:
    """Available fen: posted credits less posted and pending debits (a pending top-up is not spendable)."""
    return wallet_balances(session, citizen_id).available_balance


def wallet_summary(session: Session, citizen_id: str) -> WalletOut:
    b = wallet_balances(session, citizen_id)
    return WalletOut(account_id=b.account_id, currency=b.currency, available=b.available_balance,
                     posted=b.posted_balance, incoming=b.credits_pending, held=b.debits_pending)


# --- history ----------------------------------------------------------------------------------------

_STATUS = {"pending": "processing", "posted": "succeeded", "voided": "failed", "expired": "failed"}


class HistoryCursorInvalid(InvalidInput):
    code = "wallet_cursor_invalid"
    message_zh = "分页游标无效"
    message_en = "The pagination cursor is not valid"


def _encode_cursor(ledger_after: str | None, skip: int) -> str:
    return base64.urlsafe_b64encode(json.dumps([ledger_after, skip]).encode()).decode().rstrip("=")


def _decode_cursor(cursor: str | None) -> tuple[str | None, int]:
    if not cursor:
        return None, 0
    try:
        after, skip = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if (after is not None and not isinstance(after, str)) or not isinstance(skip, int) or not 0 <= skip < 1000:
            raise ValueError(cursor)
        return after, skip
    except (ValueError, TypeError, binascii.Error) as exc:
        raise HistoryCursorInvalid() from exc


def history(session: Session, citizen_id: str, *, after: str | None = None, limit: int = 20) -> HistoryPage:
    """The wallet's transfers, newest first, each with its purpose and counterparty in both languages.
    A two-phase transfer shows once, as its pending half with the final status (its post/void rows
    are bookkeeping, skipped). The cursor is the ledger's position plus how many rows of that
    ledger page were already read."""
    account_id = wallet_account_id(session, citizen_id)
    limit = max(1, min(limit, 100))
    ledger_after, skip = _decode_cursor(after)
    shown: list[TransferOut] = []
    next_cursor: str | None = None
    while True:
        rows, ledger_next = ledger.history(session, account_id, after=ledger_after, limit=min(skip + 2 * limit, 200))
        for i in range(skip, len(rows)):
            if rows[i].kind in ("single", "pending"):
                shown.append(rows[i])
            if len(shown) == limit:
                if i + 1 < len(rows):
                    next_cursor = _encode_cursor(ledger_after, i + 1)
                elif ledger_next:
                    next_cursor = _encode_cursor(ledger_next, 0)
                break
        if len(shown) == limit or ledger_next is None:
            break
        ledger_after, skip = ledger_next, 0
    return HistoryPage(items=_describe(session, citizen_id, account_id, shown), next_cursor=next_cursor)


def _describe(session: Session, citizen_id: str, account_id: str, shown: list[TransferOut]) -> list[HistoryItem]:
    refs = [t.ref for t in shown if t.ref]
    own = {r.public_id: r for r in session.scalars(
        select(WalletBankTransfer).where(WalletBankTransfer.public_id.in_(refs)))} if refs else {}
    cards = {c.card_id: c for c in bank.list_cards(session, citizen_id)}
    names: dict[str, tuple[str, str]] = {}
    items = []
    for t in shown:
        incoming = t.credit == account_id
        other = t.debit if incoming else t.credit
        purpose = purpose_of(t.code)
        if t.ref in own:
            card = cards.get(own[t.ref].card_id)
            if card is None:
                counterparty = ("银行卡", "Bank card")
            else:
                counterparty = (f"银行卡 {card.bank_name_zh} {card.last4}", f"Bank card {card.bank_code} {card.last4}")
        else:
            if other not in names:
                names[other] = _account_label(session, other)
            counterparty = names[other]
        items.append(HistoryItem(
            transfer_id=t.transfer_id, direction="in" if incoming else "out", amount=t.amount, currency=t.currency,
            code=t.code, purpose_zh=purpose[0], purpose_en=purpose[1], counterparty_zh=counterparty[0],
            counterparty_en=counterparty[1], ref=t.ref,
            status=_STATUS.get(t.status, "succeeded") if t.kind == "pending" else "succeeded",  # type: ignore[arg-type]
            created_at=t.created_at))
    return items


def _account_label(session: Session, account_id: str) -> tuple[str, str]:
    """Who is on the other side: an organisation by its name (a merchant, a hospital …), a citizen
    as such (never their name), else the account's name, "中文 English" split by language."""
    acc = ledger.get_account(session, account_id)
    if acc.owner.startswith("org_"):
        try:
            org = orgs.get_org(session, acc.owner)
            return org.name_zh, org.name_en or org.name_zh
        except DomainError:
            pass
    if acc.owner.startswith("cit_"):
        return "个人", "A person"
    name = acc.name or acc.code
    zh, _, en = name.partition(" ")
    if en and not zh.isascii() and en.isascii():
        return zh, en
    return name, name


# --- top-ups and withdrawals ------------------------------------------------------------------------------

def _out(row: WalletBankTransfer, inst: InstructionOut | None) -> BankTransferOut:
    return BankTransferOut(
        id=row.public_id, kind=row.kind, amount=row.amount, currency=row.currency,  # type: ignore[arg-type]
        card_id=row.card_id, card_masked=inst.account_masked if inst else "", bank_code=inst.bank_code if inst else None,
        status=inst.status if inst else "processing", failure_code=inst.failure_code if inst else None,
        created_at=row.created_at, completed_at=inst.completed_at if inst else None)


def _replay(session: Session, *, citizen_id: str, client_key: str | None, kind: str, card_id: str,
            amount: int) -> BankTransferOut | None:
    if not client_key:
        return None
    row = session.scalars(select(WalletBankTransfer).where(WalletBankTransfer.citizen_id == citizen_id,
                                                           WalletBankTransfer.client_key == client_key)).one_or_none()
    if row is None:
        return None
    if (row.kind, row.card_id, row.amount) != (kind, card_id, amount):
        raise WalletRequestConflict()
    return _out(row, bank.get_instruction(session, row.public_id))


def _claim_key(session: Session, row: WalletBankTransfer) -> bool:
    """Insert the record (its client key unique per citizen) in a savepoint; False when a concurrent
    request with the same key got there first (it has committed once the insert fails)."""
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        return False
    return True


def _check_amount(amount: int) -> None:
    if not isinstance(amount, int) or isinstance(amount, bool) or not 0 < amount <= MAX_AMOUNT:
        raise bank.AmountInvalid(detail=f"amount must be 1..{MAX_AMOUNT} fen")


def top_up(session: Session, *, citizen_id: str, card_id: str, amount: int, actor: Principal | str,
           client_key: str | None = None) -> BankTransferOut:
    """Top up the wallet from a bound card. The money shows as incoming until the bank confirms.
    A repeat with the same `client_key` returns the first top-up."""
    _check_amount(amount)
    replay = _replay(session, citizen_id=citizen_id, client_key=client_key, kind="top_up", card_id=card_id,
                     amount=amount)
    if replay is not None:
        return replay
    account = wallet_account_id(session, citizen_id)
    row = WalletBankTransfer(public_id=new_id("wtu"), kind="top_up", citizen_id=citizen_id, card_id=card_id,
                             amount=amount, currency=CURRENCY, client_key=client_key, created_at=clock.now())
    if not _claim_key(session, row):  # the same key committed by a concurrent request meanwhile
        replay = _replay(session, citizen_id=citizen_id, client_key=client_key, kind="top_up", card_id=card_id,
                         amount=amount)
        assert replay is not None
        return replay
    inst = bank.request_collection(session, collection_id=row.public_id, to_account=account, citizen_id=citizen_id,
                                   card_id=card_id, amount=amount, purpose="wallet.top_up", code=TOP_UP_CODE)
    audit.record(session, actor=actor, action="wallet.top_up.request", subject_citizen_id=citizen_id,
                 resource=f"wallet_top_up/{row.public_id}",
                 reason=f"从银行卡 {inst.account_masked} 充值 {yuan(amount)} 元 / top-up from a bank card")
    return _out(row, inst)


def withdraw(session: Session, *, citizen_id: str, card_id: str, amount: int, grant_id: str,
             actor: Principal | str, client_key: str | None = None) -> BankTransferOut:
    """Withdraw to a bound card, after a face verification (grant for `wallet.withdraw`, used up here
    in the same transaction: a refused withdrawal leaves it unused). The amount is held at once
    (InsufficientFunds beyond the available balance) and leaves when the bank confirms."""
    _check_amount(amount)
    replay = _replay(session, citizen_id=citizen_id, client_key=client_key, kind="withdrawal", card_id=card_id,
                     amount=amount)
    if replay is not None:
        return replay
    account = wallet_account_id(session, citizen_id)
    bank.get_card(session, citizen_id=citizen_id, card_id=card_id)
    try:
        face.consume_grant(session, citizen_id=citizen_id, act=WITHDRAW_ACT, grant_id=grant_id)
    except face.FaceGrantInvalid:
        # A double-tapped form: the first request used the grant and has committed by now.
        replay = _replay(session, citizen_id=citizen_id, client_key=client_key, kind="withdrawal", card_id=card_id,
                         amount=amount)
        if replay is not None:
            return replay
        raise
    row = WalletBankTransfer(public_id=new_id("wwd"), kind="withdrawal", citizen_id=citizen_id, card_id=card_id,
                             amount=amount, currency=CURRENCY, client_key=client_key, created_at=clock.now())
    session.add(row)
    session.flush()
    inst = bank.request_card_payout(session, payout_id=row.public_id, from_account=account, citizen_id=citizen_id,
                                    card_id=card_id, amount=amount, purpose="wallet.withdraw", code=WITHDRAWAL_CODE)
    audit.record(session, actor=actor, action="wallet.withdraw.request", subject_citizen_id=citizen_id,
                 resource=f"wallet_withdrawal/{row.public_id}",
                 reason=f"提现 {yuan(amount)} 元到银行卡 {inst.account_masked}（已刷脸验证）"
                        " / withdrawal to a bank card after face verification")
    return _out(row, inst)


def get_bank_transfer(session: Session, *, citizen_id: str, transfer_id: str,
                      kind: str | None = None) -> BankTransferOut:
    row = session.scalars(select(WalletBankTransfer).where(WalletBankTransfer.public_id == transfer_id)).one_or_none()
    if row is None or row.citizen_id != citizen_id or (kind is not None and row.kind != kind):
        raise WalletTransferNotFound()
    return _out(row, bank.get_instruction(session, row.public_id))


def list_bank_transfers(session: Session, citizen_id: str, *, kind: str | None = None,
                        limit: int = 20) -> list[BankTransferOut]:
    q = select(WalletBankTransfer).where(WalletBankTransfer.citizen_id == citizen_id)
    if kind is not None:
        q = q.where(WalletBankTransfer.kind == kind)
    rows = list(session.scalars(q.order_by(WalletBankTransfer.id.desc()).limit(max(1, min(limit, 100)))))
    insts = bank.instructions_for(session, [r.public_id for r in rows])
    return [_out(r, insts.get(r.public_id)) for r in rows]


# --- the demo city -------------------------------------------------------------------------------------

DEMO_TOP_UP = 200_000  # ¥2,000


def demo_card_number(citizen_id: str) -> str:
    """A Luhn-valid China Merchants Bank debit card number derived from the citizen id (stable)."""
    digits = str(int(hashlib.sha256(citizen_id.encode()).hexdigest(), 16))[:9]
    partial = "622588" + digits
    return partial + bank.luhn_digit(partial)


def seed_demo_wallets(session: Session, citizen_ids: list[str]) -> list[str]:
    """Give each verified demo citizen a bound card and a ¥2,000 top-up through the bank channel (the
    worker completes it within seconds once running). Safe to run twice: the card binds once and the
    top-up is keyed. Unverified citizens are skipped. Returns one line per citizen."""
    lines = []
    for cid in citizen_ids:
        name = identity.real_name(session, cid)
        if name is None:
            continue
        card = bank.bind_card(session, citizen_id=cid, card_number=demo_card_number(cid), holder_name=name,
                              actor="cli:seed")
        t = top_up(session, citizen_id=cid, card_id=card.card_id, amount=DEMO_TOP_UP, actor="cli:seed",
                   client_key="demo:seed-top-up")
        lines.append(f"wallet {cid}: card {card.masked}, top-up {yuan(t.amount)} {t.status}")
    return lines
