"""Factories for family-link tests: people with known mobile, name, ID number and birth date, and
face-verification grants for the minor flow. They only flush; commit before the app must see rows."""

from __future__ import annotations

import itertools
import secrets
from dataclasses import dataclass
from datetime import date, timedelta

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
           name: str | None = None, photo: bytes | None = None) -> Person:
    """A citizen (real-name verified unless `verified=False`; `photo` is their registry photo)."""
    mobile = fresh_mobile()
    name = name or next(_NAMES)
    id_number = fresh_id_number(birth_date=born)
    citizen = make_citizen(session, verified=verified, birth_date=born, name=name, id_number=id_number,
                           mobile=mobile, photo=photo)
    return Person(citizen=citizen, mobile=mobile, name=name, id_number=id_number, birth_date=born)


def make_face_grant(session: Session, citizen: Citizen, *, act: str = "family.link_minor",
                    ttl: timedelta = timedelta(minutes=5)) -> str:
    """A passed face verification and its grant, as `face.service.verify` leaves them (the frames
    themselves are face verification's own tests); returns the grant id."""
    from onecity import clock
    from onecity.identity.face.models import FaceChallenge, FaceGrant, FaceVerification
    from onecity.ids import new_id

    now = clock.now()
    challenge = FaceChallenge(public_id=new_id("fch"), nonce_sha256=secrets.token_hex(32), citizen_id=citizen.id,
                              act=act, steps=["center", "turn_left", "turn_right", "center"], created_at=now,
                              expires_at=now + timedelta(minutes=2), used_at=now)
    session.add(challenge)
    session.flush()
    attempt = FaceVerification(public_id=new_id("fvr"), citizen_id=citizen.id, challenge_id=challenge.id, act=act,
                               created_at=now, frame_count=16, score=0.31, threshold=0.5, decision="pass",
                               reason=None, duration_ms=420)
    session.add(attempt)
    session.flush()
    grant = FaceGrant(public_id=new_id("fgr"), citizen_id=citizen.id, verification_id=attempt.id, act=act,
                      created_at=now, expires_at=now + ttl)
    session.add(grant)
    session.flush()
    return grant.public_id
