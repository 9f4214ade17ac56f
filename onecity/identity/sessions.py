"""Signed-in sessions (登录会话) for citizens, organisation staff and platform admins.

A session is a random 32-byte token (URL-safe base64) handed to the client once; only its SHA-256 is
stored. Web sessions travel in the HTTP-only cookie `oc_session` (SameSite=Lax, Secure per
`settings.cookie_secure`); API clients present a bearer token. A token only works with the credential
it was issued for, so a leaked cookie cannot be replayed as a bearer token or the reverse. Sessions
expire after `settings.session_ttl_seconds` and can be revoked one by one or all at once.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from typing import Literal

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from onecity import clock, outbox
from onecity.authz import Principal
from onecity.config import get_settings
from onecity.errors import NotFound, Unauthenticated
from onecity.identity.models import AuthSession, Citizen
from onecity.identity.schemas import SessionInfo
from onecity.ids import new_id

REVOKED_TOPIC = "identity.session.revoked"

SessionKind = Literal["citizen", "staff", "admin"]
Credential = Literal["cookie", "bearer"]
# last_used_at is refreshed at most this often, so reads do not turn every request into a write.
SESSION_COOKIE = "oc_session"
TOUCH_EVERY = timedelta(minutes=1)


class SessionExpired(Unauthenticated):
    code = "session_expired"
    message_zh = "登录已过期，请重新登录"
    message_en = "Your session has ended; please sign in again"


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_session(
    session: Session,
    *,
    kind: SessionKind,
    subject_id: str,
    credential: Credential,
    label: str | None = None,
    user_agent: str | None = None,
    ttl: timedelta | None = None,
) -> tuple[str, AuthSession]:
    """Open a session; returns the token (shown to the client once, never stored) and the row."""
    if kind not in ("citizen", "staff", "admin"):
        raise ValueError(f"unknown session kind {kind!r}")
    if credential not in ("cookie", "bearer"):
        raise ValueError(f"unknown credential {credential!r}")
    token = secrets.token_urlsafe(32)
    now = clock.now()
    row = AuthSession(
        public_id=new_id("ses"),
        token_sha256=token_hash(token),
        kind=kind,
        subject_id=subject_id,
        credential=credential,
        label=(label or None) and label[:100],
        user_agent=(user_agent or None) and user_agent[:300],
        created_at=now,
        expires_at=now + (ttl or timedelta(seconds=get_settings().session_ttl_seconds)),
        last_used_at=now,
    )
    session.add(row)
    session.flush()
    return token, row


def _live_session(session: Session, token: str, credential: str) -> AuthSession:
    if not token or len(token) > 200:
        raise Unauthenticated(detail="unknown session token")
    row = session.scalars(select(AuthSession).where(AuthSession.token_sha256 == token_hash(token))).one_or_none()
    if row is None or row.credential != credential:
        raise Unauthenticated(detail="unknown session token")
    now = clock.now()
    if row.revoked_at is not None or row.expires_at <= now:
        raise SessionExpired()
    if row.last_used_at is None or now - row.last_used_at >= TOUCH_EVERY:
        row.last_used_at = now
    return row


def session_info(row: AuthSession, current_id: str | None = None) -> SessionInfo:
    """A session as its owner may see it (never the token); `current` marks the caller's own."""
    return SessionInfo(id=row.public_id, kind=row.kind, credential=row.credential,  # type: ignore[arg-type]
                       label=row.label, user_agent=row.user_agent, created_at=row.created_at,
                       last_used_at=row.last_used_at, expires_at=row.expires_at,
                       current=row.public_id == current_id)


def live_session(session: Session, token: str, *, credential: Credential) -> AuthSession:
    """The live session behind a token, or `Unauthenticated` / `SessionExpired`."""
    return _live_session(session, token, credential)


def citizen_principal(session: Session, row: AuthSession, *, credential: Credential) -> Principal:
    """The citizen behind a citizen session (a closed account cannot use its sessions)."""
    citizen = session.scalars(select(Citizen).where(Citizen.public_id == row.subject_id)).one_or_none()
    if citizen is None or citizen.status == "closed":
        raise Unauthenticated(detail="the account behind this session is closed")
    return Principal(
        kind="citizen",
        id=citizen.public_id,
        credential=credential,
        session_id=row.public_id,
        real_name_verified=citizen.verified_at is not None,
    )


def revoke_session(session: Session, *, subject_id: str, session_id: str) -> AuthSession:
    """Revoke one of the subject's own sessions (idempotent: revoking twice is not an error)."""
    row = session.scalars(select(AuthSession).where(
        AuthSession.public_id == session_id, AuthSession.subject_id == subject_id)).one_or_none()
    if row is None:
        raise NotFound(detail="no such session")
    if row.revoked_at is None:
        row.revoked_at = clock.now()
        _revoked(session, subject_id, [row.public_id])
    return row


def revoke_token(session: Session, token: str) -> None:
    """Sign out: revoke the session behind a token, if any."""
    row = session.scalars(select(AuthSession).where(AuthSession.token_sha256 == token_hash(token))).one_or_none()
    if row is not None and row.revoked_at is None:
        row.revoked_at = clock.now()
        _revoked(session, row.subject_id, [row.public_id])


def revoke_all(session: Session, *, subject_id: str, except_session_id: str | None = None) -> int:
    """Revoke every live session of a subject (after a password change, or an account closure)."""
    q = update(AuthSession).where(AuthSession.subject_id == subject_id, AuthSession.revoked_at.is_(None))
    if except_session_id is not None:
        q = q.where(AuthSession.public_id != except_session_id)
    ended = list(session.scalars(q.values(revoked_at=clock.now()).returning(AuthSession.public_id)
                                 .execution_options(synchronize_session="fetch")))
    if ended:
        _revoked(session, subject_id, ended)
    return len(ended)


def _revoked(session: Session, subject_id: str, session_ids: list[str]) -> None:
    """Tell the modules that keep something per signed-in device (payment-code secrets) to drop it."""
    outbox.emit(session, REVOKED_TOPIC, {"subject_id": subject_id, "session_ids": session_ids})


def list_sessions(session: Session, *, subject_id: str, include_ended: bool = False) -> list[AuthSession]:
    """The subject's sessions, newest first; live ones only unless `include_ended`."""
    q = select(AuthSession).where(AuthSession.subject_id == subject_id)
    if not include_ended:
        q = q.where(AuthSession.revoked_at.is_(None), AuthSession.expires_at > clock.now())
    return list(session.scalars(q.order_by(AuthSession.created_at.desc(), AuthSession.id.desc())))
