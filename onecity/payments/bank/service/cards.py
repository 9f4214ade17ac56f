"""Bank cards (银行卡) a real-name citizen binds: a debit card of a supported bank, whose holder is the
citizen's verified real name. The number is stored encrypted (AES-GCM, purpose `bank_card.number`)
and found through an HMAC blind index; everything shown is masked (`6222 **** **** 1234`).

Pure rules first (`luhn_ok`, `bank_for`, `mask_card`), then the service functions.
"""

from __future__ import annotations

import hmac
import re
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from onecity import clock
from onecity.audit import service as audit
from onecity.authz import Principal, RealNameRequired
from onecity.crypto.fields import blind_index, decrypt_str, encrypt
from onecity.errors import Conflict, InvalidInput, NotFound
from onecity.identity import service as identity
from onecity.ids import new_id
from onecity.payments.bank.models import BankCard
from onecity.payments.bank.schemas import CardOut

ENC_CARD_NUMBER = "bank_card.number"
IDX_ACCOUNT_NUMBER = "bank_account_number"  # shared by every column holding a card/account number
MAX_CARDS = 5


@dataclass(frozen=True)
class Bank:
    code: str
    name_zh: str
    name_en: str


BANKS = {
    "ICBC": Bank("ICBC", "中国工商银行", "Industrial and Commercial Bank of China"),
    "ABC": Bank("ABC", "中国农业银行", "Agricultural Bank of China"),
    "BOC": Bank("BOC", "中国银行", "Bank of China"),
    "CCB": Bank("CCB", "中国建设银行", "China Construction Bank"),
    "BCOM": Bank("BCOM", "交通银行", "Bank of Communications"),
    "CMB": Bank("CMB", "招商银行", "China Merchants Bank"),
    "PSBC": Bank("PSBC", "中国邮政储蓄银行", "Postal Savings Bank of China"),
}
# Issuer identification numbers (卡BIN) of debit cards of the supported banks.
BIN_TABLE = {
    "622202": "ICBC", "621226": "ICBC", "622848": "ABC", "621700": "CCB", "622700": "CCB",
    "601382": "BOC", "621661": "BOC", "622260": "BCOM", "622588": "CMB", "621483": "CMB", "622188": "PSBC",
}


# --- errors ---------------------------------------------------------------------------------------

class CardNumberInvalid(InvalidInput):
    code = "card_number_invalid"
    message_zh = "银行卡号不正确，请核对后重新输入"
    message_en = "The card number is not valid; check it and try again"


class CardBankUnsupported(InvalidInput):
    code = "card_bank_unsupported"
    message_zh = "暂不支持该银行的卡，请使用储蓄卡（借记卡）"
    message_en = "Cards of this bank are not supported; use a debit card of a supported bank"


class CardHolderMismatch(InvalidInput):
    code = "card_holder_mismatch"
    message_zh = "持卡人姓名须与您的实名信息一致"
    message_en = "The card holder must be you, under your verified real name"


class CardInUse(Conflict):
    code = "card_in_use"
    message_zh = "该银行卡已被其他账户绑定"
    message_en = "This card is bound to another account"


class CardLimitReached(Conflict):
    code = "card_limit_reached"
    message_zh = f"最多绑定 {MAX_CARDS} 张银行卡"
    message_en = f"At most {MAX_CARDS} cards can be bound"


class CardNotFound(NotFound):
    code = "card_not_found"
    message_zh = "找不到该银行卡"
    message_en = "No such bank card"


# --- pure rules -----------------------------------------------------------------------------------

def normalise_number(text: str) -> str:
    """Digits only: spaces and dashes people type are dropped; anything else is refused."""
    digits = re.sub(r"[\s-]", "", text or "")
    if not digits.isdigit() or not 12 <= len(digits) <= 19:
        raise CardNumberInvalid()
    return digits


def luhn_ok(number: str) -> bool:
    """The Luhn check (ISO/IEC 7812): from the right, double every second digit, sum digits, mod 10."""
    total = 0
    for i, ch in enumerate(reversed(number)):
        d = int(ch)
        if i % 2 == 1:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def luhn_digit(partial: str) -> str:
    """The check digit that makes `partial + digit` pass the Luhn check."""
    return next(d for d in "0123456789" if luhn_ok(partial + d))


def bank_for(number: str) -> Bank | None:
    code = BIN_TABLE.get(number[:6])
    return BANKS[code] if code else None


def mask_card(number: str) -> str:
    """6222 **** **** 1234: the issuer's first four digits and the last four."""
    return f"{number[:4]} **** **** {number[-4:]}"


def card_out(card: BankCard) -> CardOut:
    bank = BANKS[card.bank_code]
    return CardOut(card_id=card.public_id, bank_code=bank.code, bank_name_zh=bank.name_zh, bank_name_en=bank.name_en,
                   masked=card.masked, last4=card.masked[-4:], holder_masked=card.holder_masked,
                   status=card.status, created_at=card.created_at)  # type: ignore[arg-type]


def account_index(number: str) -> str:
    return blind_index(number, purpose=IDX_ACCOUNT_NUMBER)


# --- service --------------------------------------------------------------------------------------

def bind_card(session: Session, *, citizen_id: str, card_number: str, holder_name: str,
              actor: Principal | str) -> CardOut:
    """Bind a debit card to a verified citizen. Binding the same card again changes nothing (and
    brings back one that was unbound); a card bound to another account is refused."""
    name = identity.real_name(session, citizen_id)
    if name is None:
        raise RealNameRequired()
    number = normalise_number(card_number)
    if not luhn_ok(number):
        raise CardNumberInvalid()
    bank = bank_for(number)
    if bank is None:
        raise CardBankUnsupported()
    if not hmac.compare_digest(re.sub(r"\s", "", holder_name or "").encode(), name.encode()):
        raise CardHolderMismatch()
    index = account_index(number)
    others = session.scalars(select(BankCard.citizen_id).where(
        BankCard.number_index == index, BankCard.status == "active", BankCard.citizen_id != citizen_id)).first()
    if others is not None:
        raise CardInUse()
    card = session.scalars(select(BankCard).where(BankCard.citizen_id == citizen_id,
                                                  BankCard.number_index == index)).one_or_none()
    if card is not None and card.status == "active":
        return card_out(card)
    active = session.scalars(select(BankCard.id).where(BankCard.citizen_id == citizen_id,
                                                       BankCard.status == "active")).all()
    if len(active) >= MAX_CARDS:
        raise CardLimitReached()
    now = clock.now()
    summary = identity.citizen_summary(session, citizen_id)
    if card is None:
        card = BankCard(public_id=new_id("card"), citizen_id=citizen_id, bank_code=bank.code,
                        number_enc=encrypt(number, purpose=ENC_CARD_NUMBER), number_index=index,
                        masked=mask_card(number), holder_masked=summary.masked_name or "*", created_at=now)
        session.add(card)
    else:
        card.status, card.unbound_at, card.created_at = "active", None, now
    session.flush()
    audit.record(session, actor=actor, action="bank.card.bind", subject_citizen_id=citizen_id,
                 resource=f"bank_card/{card.public_id}",
                 reason=f"绑定银行卡 {bank.name_zh} {card.masked} / bound a {bank.name_en} debit card")
    return card_out(card)


def list_cards(session: Session, citizen_id: str) -> list[CardOut]:
    rows = session.scalars(select(BankCard).where(BankCard.citizen_id == citizen_id, BankCard.status == "active")
                           .order_by(BankCard.id))
    return [card_out(c) for c in rows]


def _own_card(session: Session, citizen_id: str, card_id: str) -> BankCard:
    card = session.scalars(select(BankCard).where(BankCard.public_id == card_id)).one_or_none()
    if card is None or card.citizen_id != citizen_id or card.status != "active":
        raise CardNotFound()
    return card


def get_card(session: Session, *, citizen_id: str, card_id: str) -> CardOut:
    return card_out(_own_card(session, citizen_id, card_id))


def unbind_card(session: Session, *, citizen_id: str, card_id: str, actor: Principal | str) -> CardOut:
    """Unbind a card. Top-ups and withdrawals already sent to the bank still complete: each
    instruction keeps its own (encrypted) copy of the number."""
    card = _own_card(session, citizen_id, card_id)
    card.status, card.unbound_at = "unbound", clock.now()
    session.flush()
    audit.record(session, actor=actor, action="bank.card.unbind", subject_citizen_id=citizen_id,
                 resource=f"bank_card/{card.public_id}", reason=f"解绑银行卡 {card.masked} / unbound a bank card")
    return card_out(card)


def card_number(session: Session, *, citizen_id: str, card_id: str) -> tuple[BankCard, str]:
    """The citizen's active card and its full number (for an instruction to the bank); never show it."""
    card = _own_card(session, citizen_id, card_id)
    return card, decrypt_str(card.number_enc, purpose=ENC_CARD_NUMBER)
