"""What `api.py` and `pages.py` share at the HTTP edge: the session cookie, the client address, and
committing the attempt counters of a failed check before its error is raised."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from fastapi import Request, Response
from sqlalchemy.orm import Session

from onecity.config import get_settings
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
