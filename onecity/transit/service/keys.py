"""The platform's transit signing keys (平台密钥) and their rotation.

A key is `next` (published in the gates' key set, not signing yet) → `active` (signs every new
device certificate; exactly one) → `retiring` (still published until `retire_after`, when the last
certificate it signed has expired) → `retired` (no longer published; its private half destroyed).
`rotate` promotes `next` to `active` and makes a new `next`, so a gate that refreshes its key set at
least once a rotation period has every key a certificate may name before the first code signed under
it reaches the gate. Seeds are AES-GCM encrypted at rest with the platform's data key
(`onecity.crypto.fields`, purpose `transit.platform_key`), like the credentials issuers' keys, so
every app process signs with the same active key and a rotation is one database transaction.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from onecity import clock
from onecity.crypto import fields
from onecity.db import is_postgres
from onecity.transit.gate import CLOCK_SKEW_S
from onecity.transit.models import TransitPlatformKey
from onecity.transit.ridecode.certificate import VALIDITY_S
from onecity.transit.ridecode.keys import KeySet, SigningKey
from onecity.transit.schemas import PlatformKeyOut

PURPOSE = "transit.platform_key"
ADVISORY_LOCK = 0x7472616E  # "tran": making the first transit keys
PUBLISHED = ("next", "active", "retiring")
RETIRE_MARGIN = timedelta(seconds=VALIDITY_S + CLOCK_SKEW_S)


def _new_key(session: Session, status: str, now: datetime) -> TransitPlatformKey:
    used = set(session.scalars(select(TransitPlatformKey.kid)))
    while True:  # a 2-byte kid may collide with a key still known: draw again
        key = SigningKey.generate()
        if key.kid.hex() not in used:
            break
    row = TransitPlatformKey(kid=key.kid.hex(), public_key=key.public, status=status, created_at=now,
                             private_key_enc=fields.encrypt(key.seed, purpose=PURPOSE))
    session.add(row)
    session.flush()
    return row


def _rows(session: Session, *statuses: str, lock: bool = False) -> list[TransitPlatformKey]:
    q = select(TransitPlatformKey).where(TransitPlatformKey.status.in_(statuses)).order_by(TransitPlatformKey.id)
    if lock and is_postgres(session):
        q = q.with_for_update()
    return list(session.scalars(q))


def ensure_keys(session: Session) -> None:
    """An active and a next key exist (made on first use; on PostgreSQL under an advisory lock, so
    two processes starting at once do not both make an active key)."""
    if _rows(session, "active") and _rows(session, "next"):
        return
    if is_postgres(session):
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": ADVISORY_LOCK})
    now = clock.now()
    if not _rows(session, "active"):
        _new_key(session, "active", now)
    if not _rows(session, "next"):
        _new_key(session, "next", now)


def signing_key(session: Session) -> SigningKey:
    """The active key, with its private half (made on first use)."""
    active = _rows(session, "active")
    if not active:
        ensure_keys(session)
        active = _rows(session, "active")
    row = active[0]
    assert row.private_key_enc is not None
    return SigningKey(fields.decrypt(row.private_key_enc, purpose=PURPOSE), row.public_key)


def rotate(session: Session) -> str:
    """Promote `next` to active, retire the active key once its certificates have expired, and make
    a new `next`. Returns the new active kid."""
    now = clock.now()
    ensure_keys(session)
    active, nxt = _rows(session, "active", lock=True)[0], _rows(session, "next", lock=True)[0]
    active.status, active.retire_after = "retiring", now + RETIRE_MARGIN
    nxt.status = "active"
    session.flush()
    _new_key(session, "next", now)
    return nxt.kid


def retire_expired(session: Session) -> int:
    """Retire the retiring keys whose certificates have all expired; destroys their private halves.
    Their public halves stay on file: a tap stored offline under one is still verified on upload."""
    now = clock.now()
    n = 0
    for row in _rows(session, "retiring", lock=True):
        if row.retire_after is not None and row.retire_after <= now:
            row.status, row.private_key_enc = "retired", None
            n += 1
    return n


def published_keys(session: Session) -> list[PlatformKeyOut]:
    """The key set gates hold: next, active and retiring keys."""
    ensure_keys(session)
    return [PlatformKeyOut(kid=r.kid, public_key=r.public_key, status=r.status, retire_after=r.retire_after)
            for r in _rows(session, *PUBLISHED)]


def verifying_key_set(session: Session) -> KeySet:
    """Every key the platform ever signed with (retired ones included): what an uploaded tap is checked
    against, since a gate may upload days after it accepted a code."""
    return KeySet([r.public_key for r in session.scalars(select(TransitPlatformKey).order_by(TransitPlatformKey.id))])


ROTATE_EVERY = timedelta(days=30)


def rotate_if_due(session: Session, *, every: timedelta = ROTATE_EVERY) -> str | None:
    """Rotate when the active key has signed for `every` (the `transit.keys` job); the new kid or None."""
    ensure_keys(session)
    active = _rows(session, "active")[0]
    nxt = _rows(session, "next")[0]
    # the active key started signing when the key before it retired, or when it was made
    if clock.now() - max(active.created_at, nxt.created_at) >= every:
        return rotate(session)
    return None
