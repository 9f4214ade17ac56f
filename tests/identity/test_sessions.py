"""Sessions: random tokens stored as SHA-256, bound to their credential, expiring, revocable."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from onecity import clock
from onecity.config import get_settings
from onecity.db import transaction
from onecity.errors import NotFound, Unauthenticated
from onecity.identity import principals, sessions
from onecity.identity.models import AuthSession
from tests.identity.factories import login_token, make_citizen

NOW = datetime(2026, 11, 26, 4, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _clock():
    clock.freeze(NOW)
    yield
    clock.reset()


def _citizen(verified: bool = True) -> str:
    with transaction() as s:
        return make_citizen(s, verified=verified).public_id


def _principal(token: str, credential: str = "bearer"):
    with transaction() as s:
        return principals.principal_for_token(s, token, credential=credential)  # type: ignore[arg-type]


def test_only_the_tokens_hash_is_stored():
    cid = _citizen()
    with transaction() as s:
        token, row = sessions.create_session(s, kind="citizen", subject_id=cid, credential="bearer", label="CLI")
    assert len(token) >= 43  # 32 random bytes, URL-safe base64
    with transaction() as s:
        stored = s.scalars(select(AuthSession)).one()
        assert stored.token_sha256 == hashlib.sha256(token.encode()).hexdigest()
        assert token not in {stored.token_sha256, stored.public_id, stored.label}
        assert stored.expires_at == NOW + timedelta(seconds=get_settings().session_ttl_seconds)
        assert row.public_id.startswith("ses_")


def test_citizen_principal_from_a_token():
    verified, unverified = _citizen(), _citizen(verified=False)
    with transaction() as s:
        t1 = sessions.create_session(s, kind="citizen", subject_id=verified, credential="bearer")[0]
        t2, row2 = sessions.create_session(s, kind="citizen", subject_id=unverified, credential="cookie")
    p1 = _principal(t1)
    assert (p1.kind, p1.id, p1.credential, p1.real_name_verified) == ("citizen", verified, "bearer", True)
    p2 = _principal(t2, "cookie")
    assert (p2.id, p2.credential, p2.real_name_verified, p2.session_id) == (unverified, "cookie", False,
                                                                            row2.public_id)


def test_a_token_works_only_with_its_credential():
    cid = _citizen()
    with transaction() as s:
        bearer = sessions.create_session(s, kind="citizen", subject_id=cid, credential="bearer")[0]
        cookie = sessions.create_session(s, kind="citizen", subject_id=cid, credential="cookie")[0]
    with pytest.raises(Unauthenticated):
        _principal(bearer, "cookie")
    with pytest.raises(Unauthenticated):
        _principal(cookie, "bearer")


@pytest.mark.parametrize("token", ["", "x", "not-a-token" * 30, "Ω≈ç√"])
def test_unknown_tokens(token):
    with pytest.raises(Unauthenticated):
        _principal(token)


def test_sessions_expire():
    cid = _citizen()
    with transaction() as s:
        token = sessions.create_session(s, kind="citizen", subject_id=cid, credential="bearer",
                                        ttl=timedelta(hours=1))[0]
    clock.advance(timedelta(minutes=59))
    assert _principal(token).id == cid
    clock.advance(timedelta(minutes=1))
    with pytest.raises(sessions.SessionExpired) as e:
        _principal(token)
    assert e.value.code == "session_expired" and e.value.status == 401


def test_last_used_is_touched_at_most_once_a_minute():
    cid = _citizen()
    with transaction() as s:
        token, row = sessions.create_session(s, kind="citizen", subject_id=cid, credential="bearer")
    clock.advance(timedelta(seconds=30))
    _principal(token)
    with transaction() as s:
        assert s.scalars(select(AuthSession)).one().last_used_at == NOW
    clock.advance(timedelta(seconds=31))
    _principal(token)
    with transaction() as s:
        assert s.scalars(select(AuthSession)).one().last_used_at == NOW + timedelta(seconds=61)


def test_revoke_list_and_revoke_all():
    cid, other = _citizen(), _citizen()
    with transaction() as s:
        a, row_a = sessions.create_session(s, kind="citizen", subject_id=cid, credential="bearer", label="a")
        clock.advance(timedelta(seconds=1))
        b, row_b = sessions.create_session(s, kind="citizen", subject_id=cid, credential="cookie", label="b")
        clock.advance(timedelta(seconds=1))
        c, row_c = sessions.create_session(s, kind="citizen", subject_id=cid, credential="bearer", label="c")
        foreign = sessions.create_session(s, kind="citizen", subject_id=other, credential="bearer")[1]
    with transaction() as s:
        assert [r.label for r in sessions.list_sessions(s, subject_id=cid)] == ["c", "b", "a"]
        with pytest.raises(NotFound):  # someone else's session is not yours to revoke
            sessions.revoke_session(s, subject_id=cid, session_id=foreign.public_id)
        sessions.revoke_session(s, subject_id=cid, session_id=row_a.public_id)
        sessions.revoke_session(s, subject_id=cid, session_id=row_a.public_id)  # twice is fine
    with pytest.raises(sessions.SessionExpired):
        _principal(a)
    with transaction() as s:
        assert sessions.revoke_all(s, subject_id=cid, except_session_id=row_c.public_id) == 1
        assert [r.label for r in sessions.list_sessions(s, subject_id=cid)] == ["c"]
        assert len(sessions.list_sessions(s, subject_id=cid, include_ended=True)) == 3
    with pytest.raises(sessions.SessionExpired):
        _principal(b, "cookie")
    assert _principal(c).id == cid


def test_a_closed_account_cannot_use_its_sessions():
    with transaction() as s:
        citizen = make_citizen(s)
        token = login_token(s, citizen)
    with transaction() as s:
        c = s.merge(citizen)
        c.status = "closed"
    with pytest.raises(Unauthenticated):
        _principal(token)


def test_staff_sessions_resolve_through_the_organisations_service():
    pytest.importorskip("onecity.identity.orgs.service")
    from tests.identity.orgs.factories import make_org, make_staff

    with transaction() as s:
        staff = make_staff(s, make_org(s, kind="merchant"), roles=["cashier"])
        token, row = sessions.create_session(s, kind="staff", subject_id=staff.public_id, credential="cookie")
    p = _principal(token, "cookie")
    assert (p.kind, p.id, p.session_id, p.credential) == ("staff", staff.public_id, row.public_id, "cookie")
    assert "cashier" in p.roles


def test_bad_kinds_and_credentials_are_programming_errors():
    with transaction() as s:
        with pytest.raises(ValueError):
            sessions.create_session(s, kind="robot", subject_id="x", credential="bearer")  # type: ignore[arg-type]
        with pytest.raises(ValueError):
            sessions.create_session(s, kind="citizen", subject_id="x", credential="carrier")  # type: ignore[arg-type]
