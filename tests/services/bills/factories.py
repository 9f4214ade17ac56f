"""Factories for utility-bill tests.

    org_id = make_biller(session, "water")                      # a biller org with its profile
    sim = install_sim(org_id)                                    # a well-behaved simulated biller
    bill_id = sim.issue_bill(WATER_NO, period="2026-10", amount=8_640, due_date=date(2026, 11, 20))
    c = citizen(session, balance=20_000)
    acc = service.add_account(session, citizen_id=c.public_id, biller_org_id=org_id, account_no=WATER_NO, ...)
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from onecity import clock
from onecity.identity.models import Citizen
from onecity.payments.wallet import service as wallet
from onecity.services.bills import service
from onecity.services.bills.rules import luhn_digit, mod11_digit
from onecity.services.bills.schemas import BillerProfileIn, DispatchOut
from tests.identity.factories import make_citizen
from tests.identity.orgs.factories import make_org
from tests.payments.trade.factories import fund_wallet

WATER_NO = "075512345" + luhn_digit("075512345")  # 10 digits, Luhn
WATER_NO_2 = "075598765" + luhn_digit("075598765")
POWER_NO = "0300123456789"  # 13 digits
GAS_BODY = "44030012"
GAS_NO = GAS_BODY + mod11_digit(GAS_BODY)
PHONE_NO = "13812345678"

PROFILES = {
    "water": BillerProfileIn(product="water", account_pattern=r"\d{10}", check_digit="luhn"),
    "electricity": BillerProfileIn(product="electricity", account_pattern=r"\d{13}"),
    "gas": BillerProfileIn(product="gas", account_pattern=r"\d{8}[0-9X]", check_digit="mod11"),
    "phone": BillerProfileIn(product="phone", account_pattern=r"1[3-9]\d{9}", topup_amounts=[3_000, 5_000, 10_000, 20_000]),
}


def make_biller(session: Session, product: str = "water", **changes: object) -> str:
    org = make_org(session, kind="biller")
    profile = PROFILES[product].model_copy(update=changes)
    service.set_profile(session, org_id=org.public_id, profile=profile, actor="test:factory")
    session.flush()
    return org.public_id


def install_sim(org_id: str, **config: int) -> service.SimulatedBiller:
    """A simulated biller that (unless told otherwise) never fails, never times out, never loses an
    acknowledgement, and posts 1 s after an advice arrives."""
    settings = {"failure_bp": 0, "timeout_bp": 0, "duplicate_ack_bp": 0, "decline_bp": 0,
                "min_delay_ms": 1_000, "max_delay_ms": 1_000, **config}
    sim = service.SimulatedBiller(org_id, service.BillerSimConfig(**settings))
    service.use_connector(org_id, sim)
    return sim


def citizen(session: Session, *, balance: int = 0) -> Citizen:
    c = make_citizen(session, verified=True)
    wallet.wallet_account_id(session, c.public_id)
    if balance:
        fund_wallet(session, c.public_id, balance)
    session.flush()
    return c


def wallet_fen(session: Session, citizen_id: str) -> int:
    return wallet.wallet_balance(session, citizen_id)


def run_dispatch(rounds: int = 4, step: timedelta = timedelta(seconds=40)) -> DispatchOut:
    """What the worker does meanwhile: dispatch, then let time pass (the biller's posting delay and
    the platform's backoff), a few times; returns the sum of what happened."""
    total = DispatchOut()
    for _ in range(rounds):
        out = service.dispatch()
        for k in DispatchOut.model_fields:
            setattr(total, k, getattr(total, k) + getattr(out, k))
        clock.advance(step)
    return total


def add_and_pay(session: Session, *, citizen_id: str, org_id: str, account_no: str, bill_id: str, amount: int,
                alias: str = "家") -> str:
    """Add the account, fetch its bills (outside the transaction) and pay one; commits; returns the payment id."""
    acc = service.add_account(session, citizen_id=citizen_id, biller_org_id=org_id, account_no=account_no,
                              alias=alias, actor=citizen_id)
    target = service.locate(session, citizen_id=citizen_id, account_id=acc.account_id, scope="pay_bills")
    session.commit()
    bills = service.fetch_from_biller(target)
    paid = service.pay_bill(session, target=target, bills=bills, bill_id=bill_id, amount=amount, actor=citizen_id)
    session.commit()
    return paid.payment_id


def phone_account(session: Session, *, balance: int) -> tuple[str, Citizen, service.Target]:
    """(biller org, citizen, target): a phone biller (simulated) where PHONE_NO is open, and a citizen
    holding `balance` fen who added it as "我的手机", located for paying; commits before adding."""
    org = make_biller(session, "phone")
    session.commit()
    sim = install_sim(org)
    c = citizen(session, balance=balance)
    session.commit()
    sim.open_account(PHONE_NO)
    acc = service.add_account(session, citizen_id=c.public_id, biller_org_id=org, account_no=PHONE_NO, alias="我的手机",
                              actor=c.public_id)
    target = service.locate(session, citizen_id=c.public_id, account_id=acc.account_id, scope="pay_bills")
    return org, c, target


def relatives(session: Session, *, scopes: list[str], balance: int = 0) -> tuple[Citizen, Citizen]:
    """(child, parent): the child holds `scopes` over the parent (invited, accepted); both verified."""
    from datetime import date

    from onecity.identity.family import service as family
    from tests.identity.family.factories import person

    child = person(session, born=date(1990, 3, 7))
    parent = person(session, born=date(1960, 5, 1))
    inv = family.invite(session, inviter_id=child.id, relation="parent", mobile=parent.mobile, scopes=scopes)
    family.accept(session, citizen_id=parent.id, link_id=inv.id)
    for c in (child, parent):
        wallet.wallet_account_id(session, c.id)
    if balance:
        fund_wallet(session, child.id, balance)
    session.flush()
    return child.citizen, parent.citizen
