"""Steps the server-rendered page tests share (TestClient, no browser): a staff member's console
sign-in and the CSRF token of a form."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from tests.identity.orgs.factories import DEFAULT_PASSWORD


def console_login(client: TestClient, username: str, *, next: str, password: str = DEFAULT_PASSWORD) -> None:
    """Sign `client` in to the console as `username` (the session cookie stays in the client)."""
    r = client.post("/console/login", data={"username": username, "password": password, "next": next},
                    follow_redirects=False)
    assert r.status_code == 303, r.text


def csrf_of(html: str) -> str:
    """The CSRF token of the (first) form in `html`."""
    m = re.search(r'name="csrf" value="([^"]+)"', html)
    assert m, "no CSRF token in the page"
    return m.group(1)
