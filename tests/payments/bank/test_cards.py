"""Binding bank cards: Luhn, supported banks (BIN), the holder's real name, masking, encryption."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from onecity.authz import RealNameRequired
from onecity.identity import service as identity
from onecity.payments.bank import service as bank
from onecity.payments.bank.models import BankCard
from tests.identity.factories import make_citizen
from tests.payments.bank.factories import card_number


@pytest.mark.parametrize(("number", "ok"), [
    ("79927398713", True),           # the textbook example: 7+9+9+4+7+6+9+7+7+2 … = 70
    ("79927398710", False),
    ("6222021234567890128", True),   # ICBC, 19 digits
    ("6222021234567890127", False),
])
def test_luhn(number: str, ok: bool) -> None:
    assert bank.luhn_ok(number) is ok


def test_luhn_digit_completes_a_number() -> None:
    assert bank.luhn_digit("7992739871") == "3"
    assert bank.luhn_digit("622202123456789012") == "8"


def test_bin_table_and_mask() -> None:
    assert bank.bank_for("6225881234567890").code == "CMB"  # type: ignore[union-attr]
    assert bank.bank_for("6228481234567890").code == "ABC"  # type: ignore[union-attr]
    assert bank.bank_for("4111111111111111") is None  # a Visa card: not a supported debit card
    assert bank.mask_card("6222021234567890128") == "6222 **** **** 0128"


def test_bind_masks_encrypts_and_is_idempotent(session: Session) -> None:
    c = make_citizen(session, verified=True)
    name = identity.real_name(session, c.public_id)
    number = card_number("622202")
    card = bank.bind_card(session, citizen_id=c.public_id, card_number=f"{number[:4]} {number[4:8]} {number[8:]}",
                          holder_name=name or "", actor=c.public_id)
    assert card.bank_code == "ICBC" and card.bank_name_zh == "中国工商银行"
    assert card.masked == f"6222 **** **** {number[-4:]}" and card.last4 == number[-4:]
    row = session.scalars(select(BankCard)).one()
    assert number.encode() not in row.number_enc and number not in row.number_index
    again = bank.bind_card(session, citizen_id=c.public_id, card_number=number, holder_name=name or "",
                           actor=c.public_id)
    assert again.card_id == card.card_id
    assert [x.card_id for x in bank.list_cards(session, c.public_id)] == [card.card_id]
    bank.unbind_card(session, citizen_id=c.public_id, card_id=card.card_id, actor=c.public_id)
    assert bank.list_cards(session, c.public_id) == []
    back = bank.bind_card(session, citizen_id=c.public_id, card_number=number, holder_name=name or "",
                          actor=c.public_id)
    assert back.card_id == card.card_id and back.status == "active"


@pytest.mark.parametrize(("number", "holder", "error"), [
    ("6222021234567890127", None, bank.CardNumberInvalid),   # Luhn fails
    ("62220212345", None, bank.CardNumberInvalid),            # too short
    ("6222-0212-abcd", None, bank.CardNumberInvalid),
    ("4111111111111111", None, bank.CardBankUnsupported),     # valid Luhn, not a supported bank
    (None, "李四", bank.CardHolderMismatch),                   # not the citizen's real name
])
def test_bind_refusals(session: Session, number: str | None, holder: str | None, error: type[Exception]) -> None:
    c = make_citizen(session, verified=True, name="张伟")
    with pytest.raises(error):
        bank.bind_card(session, citizen_id=c.public_id, card_number=number or card_number(),
                       holder_name=holder or "张伟", actor=c.public_id)


def test_unverified_citizen_cannot_bind(session: Session) -> None:
    c = make_citizen(session, verified=False)
    with pytest.raises(RealNameRequired):
        bank.bind_card(session, citizen_id=c.public_id, card_number=card_number(), holder_name="张伟",
                       actor=c.public_id)


def test_a_card_bound_by_someone_else_is_refused(session: Session) -> None:
    a = make_citizen(session, verified=True, name="王芳")
    b = make_citizen(session, verified=True, name="王芳")
    number = card_number()
    bank.bind_card(session, citizen_id=a.public_id, card_number=number, holder_name="王芳", actor=a.public_id)
    with pytest.raises(bank.CardInUse):
        bank.bind_card(session, citizen_id=b.public_id, card_number=number, holder_name="王芳", actor=b.public_id)


def test_someone_elses_card_cannot_be_unbound(session: Session) -> None:
    a = make_citizen(session, verified=True, name="王芳")
    b = make_citizen(session, verified=True)
    card = bank.bind_card(session, citizen_id=a.public_id, card_number=card_number(), holder_name="王芳",
                          actor=a.public_id)
    with pytest.raises(bank.CardNotFound):
        bank.unbind_card(session, citizen_id=b.public_id, card_id=card.card_id, actor=b.public_id)
