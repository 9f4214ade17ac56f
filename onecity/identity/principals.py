"""Resolve the caller of a request into a `Principal` (installed as `app.state.resolve_principal`).

Order: a signed organisation request (X-OneCity-App-Id + signature headers) → a bearer token →
the web session cookie `oc_session` → anonymous. Presenting a credential that does not check out is
an error (401), never a silent downgrade to anonymous — except an expired cookie, which just means
"signed out".
"""

from __future__ import annotations

import dataclasses

from fastapi import Request
from sqlalchemy.orm import Session

from onecity.authz import ANONYMOUS, APP_ID_HEADER, Principal
from onecity.errors import Unauthenticated
from onecity.identity import sessions
from onecity.identity.orgs import service as orgs
from onecity.identity.sessions import SESSION_COOKIE, Credential


def resolve(session: Session, request: Request, body: bytes) -> Principal:
    if request.headers.get(APP_ID_HEADER):
        return orgs.authenticate_signed_request(
            session,
            method=request.method,
            path=request.url.path,
            query=request.url.query,
            headers=request.headers,
            body=body,
        )
    auth = request.headers.get("authorization")
    if auth:
        scheme, _, token = auth.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthenticated(detail="Authorization must be 'Bearer <token>'")
        return principal_for_token(session, token.strip(), credential="bearer")
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        try:
            return principal_for_token(session, cookie, credential="cookie")
        except Unauthenticated:
            return ANONYMOUS
    return ANONYMOUS


def principal_for_token(session: Session, token: str, *, credential: Credential) -> Principal:
    """The caller behind a session token: citizens from their account, staff and admins from the
    organisations service (which refuses suspended staff and organisations)."""
    row = sessions.live_session(session, token, credential=credential)
    if row.kind == "citizen":
        return sessions.citizen_principal(session, row, credential=credential)
    staff = orgs.staff_principal(session, row.subject_id)
    return dataclasses.replace(staff, credential=credential, session_id=row.public_id)


def principal_key(request: Request) -> str:
    """Idempotency scope: the principal, so a citizen's keys are shared across their sessions.
    Signed requests are scoped by app id here; a response to a request whose signature failed is
    never stored (see onecity.idempotency), so an unsigned request cannot poison a key."""
    from onecity.db import session_factory
    from onecity.idempotency import default_principal_key

    if request.headers.get(APP_ID_HEADER):
        return default_principal_key(request)
    with session_factory()() as s:
        try:
            p = resolve(s, request, b"")
        except Unauthenticated:
            return default_principal_key(request)
        s.commit()  # resolution may touch the session's last use
    request.state.resolved_principal = p  # `Allow` reuses it instead of resolving a second time
    return p.key
