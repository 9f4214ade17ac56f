"""Factories for family-link tests: people with known mobile, name, ID number and birth date, and
face-verification grants for the minor flow. They only flush; commit before the app must see rows."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import Session

from onecity.identity.models import Citizen
from tests.identity.factories import fresh_id_number, fresh_mobile, login_token, make_citizen

_NAMES = itertools.cycle([f"{a}{b}" for a in "赵钱孙李周吴郑王冯陈褚卫蒋沈韩杨" for b in "一二三四五六七八九十明华强伟芳娜"])


@dataclass
class Person:
    """A citizen and the plaintext a relative would type to address them."""

    citizen: Citizen
    mobile: str
    name: str
    id_number: str
    birth_date: date

    @property
    def id(self) -> str:
        return self.citizen.public_id

    def token(self, session: Session) -> str:
        return login_token(session, self.citizen)


def person(session: Session, *, born: date = date(1990, 3, 7), verified: bool = True,
           name: str | None = None) -> Person:
    mobile = fresh_mobile()
    name = name or next(_NAMES)
    id_number = fresh_id_number(birth_date=born)
    citizen = make_citizen(session, verified=verified, birth_date=born, name=name, id_number=id_number,
                           mobile=mobile)
    return Person(citizen=citizen, mobile=mobile, name=name, id_number=id_number, birth_date=born)
