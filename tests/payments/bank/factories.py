"""Test helpers for the bank channel: a simulated bank with chosen behaviour, bound cards, and moving
the bank along with the clock (no sleeping).

    bank = install_bank(timeout_bp=10000)        # every submission times out
    card = bind_card(session, citizen)           # a valid card in the citizen's real name
    run_bank(seconds=10)                         # dispatch, let 10 s pass, the bank decides and calls back
"""

from __future__ import annotations

import itertools
from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session

from onecity import clock
from onecity.identity import service as identity
from onecity.identity.models import Citizen
from onecity.payments.bank import service as bank
from onecity.payments.bank.schemas import CardOut

_SEQ = itertools.count(1)
QUIET = {"timeout_bp": 0, "failure_bp": 0, "duplicate_callback_bp": 0, "lost_callback_bp": 0,
         "min_delay_ms": 3_000, "max_delay_ms": 3_000}


def install_bank(**config: Any) -> bank.SimulatedBank:
    """A simulated bank that behaves perfectly unless told otherwise (rates as keyword arguments)."""
    sim = bank.SimulatedBank(bank.SimulatorConfig(**{**QUIET, **config}))
    bank.use_channel(sim)
    return sim


def card_number(prefix: str = "622588") -> str:
    """A fresh Luhn-valid debit card number of a supported bank (China Merchants Bank by default)."""
    partial = prefix + f"{next(_SEQ) * 7919 % 10**9:09d}"
    return partial + bank.luhn_digit(partial)


def bind_card(session: Session, citizen: Citizen, number: str | None = None) -> tuple[CardOut, str]:
    number = number or card_number()
    name = identity.real_name(session, citizen.public_id)
    assert name is not None
    card = bank.bind_card(session, citizen_id=citizen.public_id, card_number=number, holder_name=name,
                          actor=citizen.public_id)
    return card, number


def run_bank(seconds: float = 10.0, rounds: int = 1) -> list[dict[str, Any]]:
    """Each round: dispatch (send/query), let `seconds` pass, let the bank decide and call back."""
    out = []
    for _ in range(rounds):
        sent = bank.dispatch()
        clock.advance(timedelta(seconds=seconds))
        out.append({"dispatch": sent, "channel": bank.run_channel()})
    return out
