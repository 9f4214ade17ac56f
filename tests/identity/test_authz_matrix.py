"""The authorisation matrix: every route of the built app, called as every kind of principal.

Each route must declare who may call it with an `onecity.authz.Allow` among its dependencies
(found recursively through `route.dependant`). For each principal — anonymous, a citizen without and
with real-name verification, a staff member holding each role, an administrator, and an organisation
calling with a signed request for each key scope — the route is called with placeholder path params
and a minimal body (`{}` as JSON, or a form holding only the session's `csrf` token):

- a principal the `Allow` does not admit must get 401 or 403 (or, on a page, a redirect to a login or to real-name verification);
- a principal it admits must not get 401 or 403 (404 and 422 from the placeholders are fine), and
  no principal may make the route fail with a 5xx.

HTML form routes are for browsers; an organisation's signed request to one is refused (its signed
raw body cannot be checked once the form is parsed), so admitted organisations skip them.

Routes are read from the app, so routes other modules add later are covered without touching this test.
Only the allow-list below may go without an `Allow`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import pytest
from fastapi import params
from fastapi.dependencies.models import Dependant
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from onecity.authz import ANONYMOUS, Allow, Principal
from onecity.crypto.fields import blind_index
from onecity.identity.orgs import service as orgs
from onecity.identity.orgs.signatures import sign_request
from onecity.identity.sessions import SESSION_COOKIE
from tests.identity.factories import make_citizen
from tests.identity.orgs.factories import make_admin, make_api_key, make_org, make_staff

UNGUARDED = {"/healthz", "/metrics", "/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc"}
UNGUARDED_PREFIXES = ("/static",)
DENIED = {401, 403}
LOGIN_REDIRECT = re.compile(r"/(login|real-name)(\?|$)")  # PageAllow: sign in, or verify first


def all_routes(app: Any) -> list[Any]:
    """Every route of the app, flattened through included routers (FastAPI ≥ 0.13x nests them)."""
    try:
        from fastapi.routing import iter_route_contexts
    except ImportError:  # older FastAPI: app.routes is already flat
        return list(app.routes)
    return list(iter_route_contexts(app.routes))


def allows_of(dependant: Dependant | None) -> list[Allow]:
    found: list[Allow] = []
    if dependant is None:
        return found
    if isinstance(dependant.call, Allow):
        found.append(dependant.call)
    for sub in dependant.dependencies:
        found.extend(allows_of(sub))
    return found


def body_kind(dependant: Dependant) -> str:
    """"form", "json" or "none": how the route reads its body."""
    bodies = list(dependant.body_params)
    stack = list(dependant.dependencies)
    while stack:
        sub = stack.pop()
        bodies.extend(sub.body_params)
        stack.extend(sub.dependencies)
    if not bodies:
        return "none"
    return "form" if any(isinstance(b.field_info, params.Form) for b in bodies) else "json"


def fill_path(path: str) -> str:
    return re.sub(r"\{([^}:]+)(:[^}]+)?\}", lambda m: f"ph_{m.group(1)}", path)


@dataclass
class Caller:
    """One principal of the matrix, able to mint fresh credentials (a route may sign it out)."""

    label: str
    principal: Principal
    session_kind: str | None = None  # citizen | staff | admin: signs in with a session token
    subject_id: str | None = None
    app_id: str | None = None  # org: signs each request
    private_pem: str | None = None
    token: str | None = None
    session_public_id: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def mint(self, session: Session, credential: str) -> None:
        if self.session_kind is None:
            return
        from onecity.identity.sessions import create_session

        assert self.subject_id is not None
        self.token, row = create_session(session, kind=self.session_kind,  # type: ignore[arg-type]
                                         subject_id=self.subject_id, credential=credential,  # type: ignore[arg-type]
                                         label="authz matrix")
        self.session_public_id = row.public_id
        self.extra["credential"] = credential

    def request(self, client: TestClient, method: str, url: str, kind: str) -> Any:
        headers: dict[str, str] = {}
        body = b""
        if kind == "json":
            body = b"{}"
            headers["content-type"] = "application/json"
        elif kind == "form":
            csrf = blind_index(self.session_public_id, purpose="csrf")[:32] if self.session_public_id else ""
            body = urlencode({"csrf": csrf}).encode()
            headers["content-type"] = "application/x-www-form-urlencoded"
        if self.token and self.extra.get("credential") == "bearer":
            headers["authorization"] = f"Bearer {self.token}"
        elif self.token:
            headers["cookie"] = f"{SESSION_COOKIE}={self.token}"
        if self.app_id and self.private_pem:
            headers.update(sign_request(self.private_pem, self.app_id, method, url, body))
        client.cookies.clear()
        return client.request(method, url, content=body or None, headers=headers, follow_redirects=False)


def build_callers(session: Session) -> list[Caller]:
    callers = [Caller("anonymous", ANONYMOUS)]
    for verified in (False, True):
        c = make_citizen(session, verified=verified)
        callers.append(Caller(f"citizen(verified={verified})",
                              Principal(kind="citizen", id=c.public_id, real_name_verified=verified),
                              session_kind="citizen", subject_id=c.public_id))
    org_of_kind: dict[str, Any] = {}

    def org_for(role: str, allowed: dict[str, tuple[str, ...]]) -> Any:
        kind = next(k for k in orgs.ORG_KINDS if k != "city" and role in allowed[k]) \
            if any(role in allowed[k] for k in orgs.ORG_KINDS if k != "city") else "city"
        if kind not in org_of_kind:
            org_of_kind[kind] = make_org(session, kind=kind)
        return org_of_kind[kind]

    for role in orgs.ALL_ROLES:
        org = org_for(role, orgs.ROLES_BY_KIND)
        s = make_staff(session, org, roles=[role])
        callers.append(Caller(f"staff({role}@{org.kind})",
                              Principal(kind="admin" if org.kind == "city" else "staff", id=s.public_id,
                                        org_id=org.public_id, roles=frozenset({role})),
                              session_kind=orgs.session_kind(session, s), subject_id=s.public_id))
    admin = make_admin(session, roles=["admin"])
    city = orgs.city_org(session)
    assert city is not None
    callers.append(Caller("admin", Principal(kind="admin", id=admin.public_id, org_id=city.public_id,
                                             roles=frozenset({"admin"})),
                          session_kind="admin", subject_id=admin.public_id))
    scopes = {k: orgs.key_scopes_for(k) for k in orgs.ORG_KINDS}
    for scope in sorted({s for ks in scopes.values() for s in ks}):
        org = org_for(scope, scopes)
        app_id, pem = make_api_key(session, org, scopes=[scope])
        callers.append(Caller(f"org({scope}@{org.kind})",
                              Principal(kind="org", id=org.public_id, org_id=org.public_id,
                                        roles=frozenset({scope})),
                              app_id=app_id, private_pem=pem))
    return callers


def test_every_route_declares_and_enforces_its_principals(app, session):
    callers = build_callers(session)
    session.commit()
    assert {c.principal.kind for c in callers} == {"anonymous", "citizen", "staff", "admin", "org"}

    routes = []
    missing: list[str] = []
    for route in all_routes(app):
        path = getattr(route, "path", None)
        if path is None or path in UNGUARDED or path.startswith(UNGUARDED_PREFIXES):
            continue
        dependant = getattr(route, "dependant", None)
        methods = sorted((getattr(route, "methods", None) or set()) - {"HEAD", "OPTIONS"})
        allows = allows_of(dependant)
        if not allows:
            missing.append(f"{','.join(methods)} {path}")
            continue
        assert dependant is not None
        for method in methods:
            routes.append((method, path, allows, body_kind(dependant)))
    assert len(routes) >= 20  # the walk found the modules' routers

    failures: list[str] = []
    calls = 0
    with TestClient(app, raise_server_exceptions=False) as client:
        for method, path, allows, kind in routes:
            url = fill_path(path)
            page = not path.startswith("/v1")
            # Fresh sessions per route: a sign-out route must not disarm the callers for the next one.
            for c in callers:
                c.mint(session, "cookie" if page else "bearer")
            session.commit()
            for c in callers:
                admitted = all(a.admits(c.principal) for a in allows)
                if admitted and c.app_id and kind == "form":
                    # HTML forms are for browsers: the signed raw body is gone once FastAPI has parsed
                    # the form, so a signed request there is refused (401) by design.
                    continue
                r = c.request(client, method, url, kind)
                calls += 1
                status = r.status_code
                where = f"{method} {path} as {c.label}: {status}"
                if status >= 500:
                    failures.append(f"{where} (server error) {r.text[:200]}")
                elif admitted and status in DENIED:
                    failures.append(f"{where} but declared allowed — {r.text[:200]}")
                elif not admitted and status not in DENIED and not (
                        status in (302, 303, 307) and LOGIN_REDIRECT.search(r.headers.get("location", ""))):
                    failures.append(f"{where} but not declared allowed")
    print(f"authz matrix: {len(routes)} routes × {len(callers)} principals = {calls} calls")
    assert not missing and not failures, (
        "routes without allow(...) (add one; only infrastructure may be listed in UNGUARDED):\n"
        + "\n".join(missing) + f"\n{len(failures)} authorisation mismatches:\n" + "\n".join(failures))


@pytest.mark.parametrize("path", ["/v1/orgs/{org_id}/keys/{app_id}/revoke", "/v1/x/{rest:path}"])
def test_placeholders(path):
    assert "{" not in fill_path(path)
