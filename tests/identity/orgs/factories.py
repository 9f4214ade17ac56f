"""Factories for organisations, staff and API keys, built through the real orgs service.

They only flush: commit (`session.commit()`) before the app under test must see the rows.

    org = make_org(session, kind="merchant")
    cashier = make_staff(session, org, roles=["cashier"])      # password: DEFAULT_PASSWORD
    token = staff_token(session, cashier)                        # "Authorization: Bearer <token>"
    app_id, private_pem = make_api_key(session, org)             # sign with signatures.sign_request
    session.commit()
"""

from __future__ import annotations

import itertools
import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager

from argon2 import PasswordHasher
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlalchemy.orm import Session

from onecity.crypto.signing import generate_ed25519
from onecity.identity.orgs import service, uscc
from onecity.identity.orgs.models import Org, Staff

DEFAULT_PASSWORD = "correct-horse-battery"  # noqa: S105 - a test fixture password
_SEQ = itertools.count(int.from_bytes(os.urandom(2), "big"))
_NAMES = {
    "city": "深圳市人民政府", "merchant": "福田便利店", "hospital": "深圳市人民医院", "pharmacy": "南山大药房",
    "agency": "深圳市市场监督管理局", "biller": "深圳水务集团", "transit": "深圳地铁", "insurer": "平安健康保险",
}
# Cheap Argon2 parameters for factory-made accounts only (a real sign-in re-hashes with the defaults).
_CHEAP = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


@contextmanager
def _cheap_hashing() -> Iterator[None]:
    saved = service.staff._hasher
    service.staff._hasher = _CHEAP
    try:
        yield
    finally:
        service.staff._hasher = saved


def fresh_uscc(region: str = "440300") -> str:
    """A valid unified social credit code (9 = market regulation, 1 = enterprise) not used before."""
    body = "".join(secrets.choice(uscc.ALPHABET) for _ in range(9))
    return uscc.complete("91" + region + body)


def make_org(session: Session, *, kind: str = "merchant", name: str | None = None, status: str = "active") -> Org:
    if kind == "city":
        existing = service.city_org(session)
        if existing is not None:
            return existing
    n = next(_SEQ)
    org = service.create_org(session, kind=kind, name_zh=name or f"{_NAMES[kind]}{n}", uscc_code=fresh_uscc(),
                             name_en=f"{kind.title()} {n}", actor="test:factory")
    if status != "active":
        service.set_org_status(session, org_id=org.public_id, status=status, actor="test:factory", reason="test")
    session.flush()
    return org


def make_staff(
    session: Session,
    org: Org,
    *,
    roles: list[str] | tuple[str, ...] = ("owner",),
    username: str | None = None,
    password: str = DEFAULT_PASSWORD,
    name: str = "李晓华",
) -> Staff:
    n = next(_SEQ)
    with _cheap_hashing():
        staff = service.add_staff(session, org_id=org.public_id, username=username or f"staff{n}",
                                  display_name=name, password=password, roles=list(roles), actor="test:factory")
    session.flush()
    return staff


def make_admin(session: Session, *, roles: list[str] | tuple[str, ...] = ("admin",)) -> Staff:
    """A platform administrator: staff of the city organisation (made if absent)."""
    return make_staff(session, make_org(session, kind="city"), roles=roles)


def rsa_key_pair(bits: int = 2048) -> tuple[str, str]:
    k = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    priv = k.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                           serialization.NoEncryption()).decode()
    pub = k.public_key().public_bytes(serialization.Encoding.PEM,
                                      serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    return priv, pub


def make_api_key(
    session: Session, org: Org, *, algorithm: str = "ed25519", scopes: list[str] | None = None,
    label: str = "test key",
) -> tuple[str, str]:
    """Register a fresh key pair for `org`; returns (app id, private key PEM)."""
    priv, pub = generate_ed25519() if algorithm == "ed25519" else rsa_key_pair()
    key = service.register_api_key(session, org_id=org.public_id, public_key_pem=pub, label=label,
                                   scopes=scopes, actor="test:factory")
    session.flush()
    return key.app_id, priv


def staff_token(session: Session, staff: Staff, *, credential: str = "bearer") -> str:
    """A session token for a staff member (kind `admin` for the city's staff)."""
    from onecity.identity.sessions import create_session

    token, _ = create_session(session, kind=service.session_kind(session, staff),  # type: ignore[arg-type]
                              subject_id=staff.public_id, credential=credential, label="test")  # type: ignore[arg-type]
    session.flush()
    return token
