"""What `api.py` and `pages.py` (citizen app and consoles) share at the HTTP edge: the session cookie,
the form token bound to it (CSRF), the client address, and committing the attempt counters of a failed
check before its error is raised."""

from __future__ import annotations

import hmac
from collections.abc import Iterator
from contextlib import contextmanager

from fastapi import Request, Response
from sqlalchemy.orm import Session

from onecity.authz import Principal
from onecity.config import get_settings
from onecity.crypto.fields import blind_index
from onecity.errors import Forbidden
from onecity.identity import service
from onecity.identity.sessions import SESSION_COOKIE


@contextmanager
def keeping_recorded_failures(db: Session) -> Iterator[None]:
    """Commit the attempt counters of a failed sign-in or check before the error is raised (the request
    rolls back otherwise, and a wrong guess would cost nothing)."""
    try:
        yield
    except service.RecordedFailure:
        db.commit()
        raise


def csrf_token(principal: Principal) -> str:
    """The `csrf` form field, bound to the signed-in session: a form from another session (or another
    site) does not pass. Citizen pages and consoles use the same token."""
    return blind_index(principal.session_id or "", purpose="csrf")[:32]


def csrf_ok(principal: Principal, token: str | None) -> bool:
    return principal.session_id is not None and hmac.compare_digest(csrf_token(principal), token or "")


def require_csrf(principal: Principal, token: str | None) -> None:
    """Refuse (403) a console form post whose token is not this session's."""
    if not csrf_ok(principal, token):
        raise Forbidden(detail="the form has expired; reload the page")


def client_ip(request: Request) -> str | None:
    return request.client.host if request.client else None


def set_session_cookie(response: Response, token: str) -> None:
    """HTTP-only, SameSite=Lax, Secure when `settings.cookie_secure`; lives as long as the session."""
    s = get_settings()
    response.set_cookie(SESSION_COOKIE, token, max_age=s.session_ttl_seconds, httponly=True, samesite="lax",
                        secure=s.cookie_secure, path="/")


def clear_session_cookie(response: Response) -> None:
    s = get_settings()
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax", secure=s.cookie_secure)
