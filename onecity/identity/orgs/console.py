"""The console's page guard and form protection, for every module's `/console/…` pages.

`console_allow(...)` is an `Allow` (so the authorisation matrix reads it like any other) that sends a
visitor who is not signed in as staff to `/console/login?next=…` (303) instead of answering 401 JSON.
Signed-in console forms carry `csrf` bound to the session (on top of the SameSite=Lax cookie).
"""

from __future__ import annotations

import hmac
from urllib.parse import quote

from fastapi import HTTPException, Request

from onecity.authz import Allow, Kind, Principal
from onecity.crypto.fields import blind_index
from onecity.errors import Forbidden, Unauthenticated

LOGIN_PATH = "/console/login"
CONSOLE_KINDS: tuple[Kind, ...] = ("staff", "admin")


class ConsoleAllow(Allow):
    async def __call__(self, request: Request) -> Principal:
        try:
            return await super().__call__(request)
        except (Unauthenticated, Forbidden) as exc:
            p = getattr(request.state, "principal", None)
            if isinstance(exc, Forbidden) and p is not None and p.kind in CONSOLE_KINDS:
                raise  # signed in as staff, but without the role this page needs
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            raise HTTPException(status_code=303, headers={"Location": f"{LOGIN_PATH}?next={quote(target)}"}) from exc


def console_allow(*kinds: Kind, roles: set[str] | frozenset[str] | None = None) -> ConsoleAllow:
    """Like `allow(...)` for console pages: staff/admin kinds (and, for staff, roles)."""
    return ConsoleAllow(tuple(kinds), frozenset(roles) if roles is not None else None, False)


def csrf_token(principal: Principal) -> str:
    """The same token the citizen pages use (form field `csrf`), bound to the session id."""
    return blind_index(principal.session_id or "", purpose="csrf")[:32]


def csrf_ok(principal: Principal, token: str | None) -> bool:
    return principal.session_id is not None and hmac.compare_digest(csrf_token(principal), token or "")


def safe_next(target: str | None) -> str:
    """Only local console paths: never an open redirect."""
    if target and target.startswith("/console") and not target.startswith("//") and "\\" not in target:
        return target
    return "/console"
