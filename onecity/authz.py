"""Who may call what. Every endpoint declares its principals with `allow(...)`:

    @router.post("/v1/things")
    def create(principal: Principal = Depends(allow("citizen", verified=True)), db: DbSession): ...

`tests/identity/test_authz_matrix.py` walks every route and checks that only the declared principal
kinds (and roles) get through.

This is core: it knows what a principal is, not how credentials are checked. The app installs the
resolver (`app.state.resolve_principal`, identity's `principals.resolve`), so no business module is
imported from here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from fastapi import Request
from starlette.concurrency import run_in_threadpool

from onecity.errors import DomainError, Forbidden, Unauthenticated

Kind = Literal["anonymous", "citizen", "staff", "org", "admin"]
KINDS: tuple[Kind, ...] = ("anonymous", "citizen", "staff", "org", "admin")


@dataclass(frozen=True)
class Principal:
    """The caller. `id` is the public id of the citizen (cit_), staff member (stf_) or org (org_)."""

    kind: Kind
    id: str | None = None
    org_id: str | None = None
    roles: frozenset[str] = field(default_factory=frozenset)
    credential: Literal["none", "cookie", "bearer", "signature"] = "none"
    session_id: str | None = None
    real_name_verified: bool = False

    @property
    def key(self) -> str:
        """Stable key for per-principal scoping (idempotency, rate limits)."""
        return f"{self.kind}:{self.id or '-'}"


ANONYMOUS = Principal(kind="anonymous")
APP_ID_HEADER = "x-onecity-app-id"


class RealNameRequired(DomainError):
    code = "real_name_required"
    status = 403
    message_zh = "请先完成实名认证"
    message_en = "Real-name verification is required first"


class Allow:
    """A dependency that resolves the caller and admits only the declared kinds/roles."""

    def __init__(self, kinds: tuple[Kind, ...], roles: frozenset[str] | None, verified: bool) -> None:
        unknown = set(kinds) - set(KINDS)
        if unknown:
            raise ValueError(f"unknown principal kinds {unknown}")
        self.kinds = kinds
        self.roles = roles
        self.verified = verified

    def admits(self, p: Principal) -> bool:
        if p.kind not in self.kinds:
            return False
        if self.roles is not None and p.kind in ("staff", "org") and not (p.roles & self.roles):
            return False
        return not (self.verified and p.kind == "citizen" and not p.real_name_verified)

    async def __call__(self, request: Request) -> Principal:
        from onecity.db import session_factory

        resolve = request.app.state.resolve_principal
        # Only a signed organisation request needs the body (its signature covers it). Reading it
        # otherwise would fail on HTML form posts, whose stream FastAPI has already consumed.

        body = b""
        if request.headers.get(APP_ID_HEADER):
            try:
                body = await request.body()
            except RuntimeError as exc:  # an HTML form route: its raw bytes, which are signed, are gone
                raise Unauthenticated(detail="signed requests cannot post to HTML form routes") from exc

        def _resolve() -> Principal:
            with session_factory()() as s:
                p = resolve(s, request, body)
                s.commit()  # resolution may record a used nonce or touch a session
                return p

        # The idempotency middleware may have resolved this request's caller already (cookie or
        # bearer requests carrying an Idempotency-Key): one resolution per request is enough.
        cached = getattr(request.state, "resolved_principal", None)
        principal = cached if isinstance(cached, Principal) else await run_in_threadpool(_resolve)
        request.state.principal = principal
        if principal.kind not in self.kinds:
            if principal.kind == "anonymous":
                raise Unauthenticated()
            raise Forbidden(detail=f"{principal.kind} may not call this")
        if self.roles is not None and principal.kind in ("staff", "org") and not (principal.roles & self.roles):
            raise Forbidden(detail="requires one of the roles: " + ", ".join(sorted(self.roles)))
        if self.verified and principal.kind == "citizen" and not principal.real_name_verified:
            raise RealNameRequired()
        return principal


def allow(*kinds: Kind, roles: set[str] | frozenset[str] | None = None, verified: bool = False) -> Allow:
    return Allow(tuple(kinds), frozenset(roles) if roles is not None else None, verified)


PUBLIC = allow(*KINDS)


class PageAllow(Allow):
    """`Allow` for HTML pages: instead of a 401/403 body, a visitor who is not signed in as a declared
    kind is sent (303) to the login page, and an unverified citizen to real-name verification, each
    with `next=` back to the page. Someone already signed in through that login page (a kind in
    `login_kinds`) who may still not open the page gets 403: sending them to sign in again would loop.
    The authorisation matrix reads it like any other `Allow`."""

    def __init__(self, kinds: tuple[Kind, ...], roles: frozenset[str] | None, verified: bool,
                 login_path: str, verify_path: str, login_kinds: tuple[Kind, ...]) -> None:
        super().__init__(kinds, roles, verified)
        self.login_path = login_path
        self.verify_path = verify_path
        self.login_kinds = login_kinds

    async def __call__(self, request: Request) -> Principal:
        from urllib.parse import quote

        from fastapi import HTTPException

        try:
            return await super().__call__(request)
        except RealNameRequired as exc:
            target = self.verify_path
            raise HTTPException(status_code=303, headers={"Location": f"{target}?next={quote(_here(request))}"}) from exc
        except (Unauthenticated, Forbidden) as exc:
            p = getattr(request.state, "principal", None)
            if isinstance(exc, Forbidden) and p is not None and p.kind in self.login_kinds:
                raise  # signed in at this login already, but without the kind or role this page needs
            raise HTTPException(status_code=303,
                                headers={"Location": f"{self.login_path}?next={quote(_here(request))}"}) from exc


def _here(request: Request) -> str:
    return request.url.path + (f"?{request.url.query}" if request.url.query else "")


def allow_page(*kinds: Kind, roles: set[str] | frozenset[str] | None = None, verified: bool = False,
               login: str = "/app/login", verify: str = "/app/real-name",
               login_kinds: tuple[Kind, ...] = ("citizen",)) -> PageAllow:
    return PageAllow(tuple(kinds), frozenset(roles) if roles is not None else None, verified, login, verify,
                     login_kinds)
