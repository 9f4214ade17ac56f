"""The console's page guard and form protection, for every module's `/console/…` pages.

`console_allow(...)` is an `Allow` (so the authorisation matrix reads it like any other) that sends a
visitor who is not signed in as staff to `/console/login?next=…` (303) instead of answering 401 JSON.
Signed-in console forms carry `csrf` bound to the session (on top of the SameSite=Lax cookie); the
token is `web_session.csrf_token`, re-exported here for console pages.
"""

from __future__ import annotations

from onecity.authz import Kind, PageAllow, allow_page
from onecity.identity.web_session import csrf_ok, csrf_token, require_csrf

__all__ = ["CONSOLE_KINDS", "LOGIN_PATH", "console_allow", "csrf_ok", "csrf_token", "require_csrf", "safe_next"]

LOGIN_PATH = "/console/login"
CONSOLE_KINDS: tuple[Kind, ...] = ("staff", "admin")


def console_allow(*kinds: Kind, roles: set[str] | frozenset[str] | None = None) -> PageAllow:
    """Like `allow(...)` for console pages: staff/admin kinds (and, for staff, roles); visitors who
    are not signed in as staff go to the console login."""
    return allow_page(*kinds, roles=roles, login=LOGIN_PATH, login_kinds=CONSOLE_KINDS)






def safe_next(target: str | None) -> str:
    """Only local console paths: never an open redirect."""
    if target and target.startswith("/console") and not target.startswith("//") and "\\" not in target:
        return target
    return "/console"
