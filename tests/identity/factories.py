"""Factories for identity rows, built through the real identity service (no shortcuts past its rules).

They only flush: commit the session (`session.commit()`) before the app under test must see the rows.

    entry = make_registry_entry(session, name="王小明", birth_date=date(2012, 5, 1))
    entry.name, entry.id_number      # the plaintext, for the test to type into forms
    citizen = make_citizen(session, verified=True, photo=jpeg_bytes)
    token = login_token(session, citizen)          # "Authorization: Bearer <token>"
    session.commit()
"""

from __future__ import annotations

import itertools
import os
from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import Session

from onecity.identity.models import Citizen, PopulationRegistryEntry
from onecity.identity.sms import SimulatedSmsGateway

_SEQ = itertools.count(int.from_bytes(os.urandom(2), "big") % 500)
_DEFAULT_BIRTH = date(1990, 3, 7)
_NAMES = ("张伟", "王芳", "李娜", "刘洋", "陈静", "杨帆", "赵磊", "黄丽", "周杰", "吴敏", "徐强", "孙悦")


@dataclass
class RegistryEntry:
    """A registry row and the plaintext the test needs (the row itself holds only ciphertext)."""

    row: PopulationRegistryEntry
    name: str
    id_number: str

    @property
    def public_id(self) -> str:
        return self.row.public_id


def fresh_mobile() -> str:
    """A unique, valid mainland mobile number (139xxxxxxxx)."""
    n = next(_SEQ)
    return f"139{(os.getpid() * 7919 + n * 104729) % 10**8:08d}"


def fresh_id_number(*, birth_date: date = _DEFAULT_BIRTH, sex: str | None = None, region: str = "440305") -> str:
    """A valid resident ID number (real check digit) that no other factory call in this process returns."""
    from onecity.identity.resident_id import make_id_number

    n = next(_SEQ)
    return make_id_number(region, birth_date, n % 500, sex or ("M" if n % 2 else "F"))


def make_registry_entry(
    session: Session,
    *,
    name: str | None = None,
    id_number: str | None = None,
    birth_date: date = _DEFAULT_BIRTH,
    sex: str | None = None,
    region: str = "440305",
    photo: bytes | None = None,
    status: str = "active",
) -> RegistryEntry:
    """One resident in the population registry (人口库)."""
    from onecity.identity import service
    from onecity.identity.schemas import RegistryRow

    name = name or _NAMES[next(_SEQ) % len(_NAMES)]
    id_number = id_number or fresh_id_number(birth_date=birth_date, sex=sex, region=region)
    service.load_registry(session, [RegistryRow(name=name, id_number=id_number, photo=photo, status=status)])
    row = service.registry_entry_by_id_number(session, id_number)
    assert row is not None
    return RegistryEntry(row=row, name=name, id_number=id_number)


def make_citizen(
    session: Session,
    *,
    verified: bool = True,
    photo: bytes | None = None,
    birth_date: date = _DEFAULT_BIRTH,
    name: str | None = None,
    id_number: str | None = None,
    sex: str | None = None,
    mobile: str | None = None,
    password: str | None = None,
) -> Citizen:
    """A citizen account (signed up with `mobile`); when `verified`, real-name verified against a fresh
    registry entry (with `photo` as its reference photo for face verification)."""
    from onecity.identity import service

    citizen = service.register_citizen(session, mobile=mobile or fresh_mobile())
    if password is not None:
        service.set_password(session, citizen_id=citizen.public_id, password=password)
    if verified:
        entry = make_registry_entry(session, name=name, id_number=id_number, birth_date=birth_date, sex=sex,
                                    photo=photo)
        service.verify_real_name(session, citizen_id=citizen.public_id, name=entry.name,
                                 id_number=entry.id_number)
    session.flush()
    return citizen


def login_token(session: Session, citizen: Citizen) -> str:
    """A bearer token for `citizen` (commit before using it against the app)."""
    from onecity.identity.sessions import create_session

    token, _ = create_session(session, kind="citizen", subject_id=citizen.public_id, credential="bearer",
                              label="test")
    session.flush()
    return token


def sms_gateway(*, seed: int = 7, failure_rate: float = 0.0, duplicate_rate: float = 0.0) -> SimulatedSmsGateway:
    """Install a fresh simulated SMS gateway as the process's sender and return it (undo with
    `onecity.identity.sms.use_sender(None)`)."""
    from onecity.identity import sms

    gateway = sms.SimulatedSmsGateway(seed=seed, failure_rate=failure_rate, duplicate_rate=duplicate_rate,
                                      max_delay_seconds=0.005)
    sms.use_sender(gateway)
    return gateway


def deliver_code(gateway: SimulatedSmsGateway, mobile: str, *, max_passes: int = 30) -> str:
    """Run the outbox worker (moving the clock past retry backoffs) until an SMS reaches `mobile`,
    then read the 6-digit code from the newest message."""
    import re
    from datetime import timedelta

    from onecity import clock, outbox
    from onecity.app import load_subscribers

    load_subscribers()
    before = len(gateway.inbox(mobile))
    for _ in range(max_passes):
        outbox.run_once()
        inbox = gateway.inbox(mobile)
        if len(inbox) > before:
            match = re.search(r"验证码 ([0-9]{6})", inbox[-1].text)
            assert match, inbox[-1].text
            return match.group(1)
        clock.advance(timedelta(seconds=5))
    raise AssertionError(f"no SMS reached {mobile} after {max_passes} worker passes")
