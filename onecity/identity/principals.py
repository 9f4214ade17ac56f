"""Resolve the caller of a request into a `Principal`.

Order: a signed organisation request (X-OneCity-App-Id + signature headers) → a bearer token →
the web session cookie `oc_session` → anonymous. Presenting a credential that does not check out is
an error (401), never a silent downgrade to anonymous.
"""

from __future__ import annotations

from fastapi import Request
from sqlalchemy.orm import Session

from onecity.errors import Unauthenticated
from onecity.identity.authz import ANONYMOUS, Principal

SESSION_COOKIE = "oc_session"
APP_ID_HEADER = "x-onecity-app-id"


def resolve(session: Session, request: Request, body: bytes) -> Principal:
    if request.headers.get(APP_ID_HEADER):
        from onecity.identity.orgs import service as orgs

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
        from onecity.identity import sessions

        return sessions.principal_for_token(session, token.strip(), credential="bearer")
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        from onecity.identity import sessions

        try:
            return sessions.principal_for_token(session, cookie, credential="cookie")
        except Unauthenticated:
            return ANONYMOUS  # an expired cookie just means "signed out"
    return ANONYMOUS


def principal_key(request: Request) -> str:
    """Idempotency scope: the principal, so a citizen's keys are shared across their sessions."""
    from onecity.db import session_factory

    with session_factory()() as s:
        try:
            p = resolve(s, request, b"") if not request.headers.get(APP_ID_HEADER) else None
        except Exception:  # noqa: BLE001 - the endpoint will report the credential problem itself
            p = None
    if p is None:
        from onecity.idempotency import default_principal_key

        return default_principal_key(request)
    return p.key
