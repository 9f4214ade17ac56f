"""Core platform behaviour: health, metrics, problem+json, idempotency, outbox, money."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi import APIRouter
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from onecity import clock, outbox
from onecity.db import transaction
from onecity.money import InvalidAmount, Money


def test_healthz(client):
    r = client.get("/healthz")
    assert r.status_code == 200 and r.json() == {"status": "ok"}
    assert r.headers["x-request-id"]


def test_metrics_count_requests(client):
    client.get("/healthz")
    body = client.get("/metrics").text
    assert 'onecity_http_requests_total{method="GET",route="/healthz",status="200"}' in body
    assert "onecity_http_request_duration_seconds_bucket" in body


def test_unknown_route_is_problem_json_in_both_languages(client):
    r = client.get("/v1/nope", headers={"X-Request-ID": "abc-123"})
    assert r.status_code == 404
    assert r.headers["content-type"] == "application/problem+json"
    body = r.json()
    assert body["code"] == "not_found" and body["request_id"] == "abc-123"
    assert body["title"] == "找不到请求的资源"
    en = client.get("/v1/nope", headers={"Accept-Language": "en-US,en;q=0.9"}).json()
    assert en["title"] == "The requested resource was not found"


@pytest.mark.parametrize(
    ("text", "fen"),
    [("0", 0), ("0.01", 1), ("12.3", 1230), ("12.34", 1234), ("100000000", 10_000_000_000)],
)
def test_money_parse(text, fen):
    assert Money.parse(text).fen == fen
    assert Money.parse(Money(fen).format()).fen == fen


@pytest.mark.parametrize("bad", ["", "-1", "1.234", "01", "1e3", "abc", " . ", "1.", "NaN"])
def test_money_rejects(bad):
    with pytest.raises(InvalidAmount):
        Money.parse(bad)


@given(st.integers(min_value=0, max_value=10**15))
def test_money_round_trip(fen):
    assert Money.parse(Money(fen).format()).fen == fen


def test_money_refuses_mixed_currencies():
    with pytest.raises(InvalidAmount):
        Money(1, "CNY") + Money(1, "HKD")


# --- outbox ---------------------------------------------------------------------------------------

def test_outbox_event_only_exists_if_transaction_commits():
    with pytest.raises(RuntimeError), transaction() as s:
        outbox.emit(s, "test.rolled_back", {"n": 1})
        raise RuntimeError("boom")
    with transaction() as s:
        outbox.emit(s, "test.committed", {"n": 2})
    with transaction() as s:
        topics = list(s.scalars(select(outbox.OutboxEvent.topic)))
    assert topics == ["test.committed"]


def test_outbox_retries_failing_subscriber_with_backoff_without_rerunning_others():
    calls: dict[str, int] = {"good": 0, "flaky": 0}

    @outbox.subscriber("test.retry", name="test.good")
    def good(session, event):
        calls["good"] += 1

    @outbox.subscriber("test.*", name="test.flaky")
    def flaky(session, event):
        calls["flaky"] += 1
        if calls["flaky"] < 3:
            raise ConnectionError("downstream unavailable")

    try:
        t0 = clock.now()
        clock.freeze(t0)
        with transaction() as s:
            outbox.emit(s, "test.retry", {"x": 1})
        assert outbox.run_once()["done"] == 1  # good succeeded, flaky failed once
        assert calls == {"good": 1, "flaky": 1}
        assert outbox.run_once()["done"] == 0  # backoff: not due yet
        clock.advance(timedelta(seconds=2))
        outbox.run_once()  # second failure, next after 4 s
        assert calls["flaky"] == 2
        clock.advance(timedelta(seconds=3))
        outbox.run_once()
        assert calls["flaky"] == 2
        clock.advance(timedelta(seconds=1))
        outbox.run_once()
        assert calls == {"good": 1, "flaky": 3}
        with transaction() as s:
            rows = {d.subscriber: (d.status, d.attempts) for d in s.scalars(select(outbox.OutboxDelivery))}
        assert rows == {"test.good": ("done", 1), "test.flaky": ("done", 3)}
    finally:
        outbox._SUBSCRIBERS.pop("test.good", None)
        outbox._SUBSCRIBERS.pop("test.flaky", None)


def test_outbox_gives_up_after_max_attempts():
    @outbox.subscriber("test.dead", name="test.always_fails")
    def always(session, event):
        raise ValueError("nope")

    try:
        clock.freeze(clock.now())
        with transaction() as s:
            outbox.emit(s, "test.dead", {})
        for _ in range(outbox.MAX_ATTEMPTS + 2):
            outbox.run_once()
            clock.advance(outbox.MAX_BACKOFF)
        with transaction() as s:
            d = s.scalars(select(outbox.OutboxDelivery)).one()
        assert (d.status, d.attempts) == ("dead", outbox.MAX_ATTEMPTS)
        assert "ValueError: nope" in (d.last_error or "")
    finally:
        outbox._SUBSCRIBERS.pop("test.always_fails", None)


def test_backoff_doubles_and_caps():
    assert [outbox.backoff(n).total_seconds() for n in (1, 2, 3, 4)] == [2, 4, 8, 16]
    assert outbox.backoff(50) == outbox.MAX_BACKOFF


# --- idempotency ----------------------------------------------------------------------------------

@pytest.fixture
def counter_app():
    from fastapi.testclient import TestClient

    from onecity.app import create_app

    app = create_app()
    router = APIRouter()
    hits = {"n": 0}

    @router.post("/v1/test-counter", status_code=201)
    def bump(payload: dict) -> dict:
        hits["n"] += 1
        return {"n": hits["n"], "echo": payload}

    @router.post("/v1/test-crash")
    def crash() -> dict:
        hits["n"] += 1
        raise RuntimeError("server failure")

    app.include_router(router)
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c, hits


def test_idempotency_replays_first_response(counter_app):
    c, hits = counter_app
    h = {"Idempotency-Key": "k-1"}
    r1 = c.post("/v1/test-counter", json={"a": 1}, headers=h)
    r2 = c.post("/v1/test-counter", json={"a": 1}, headers=h)
    assert r1.status_code == r2.status_code == 201
    assert r1.json() == r2.json() == {"n": 1, "echo": {"a": 1}}
    assert r2.headers["idempotent-replayed"] == "true"
    assert hits["n"] == 1
    # Without a key every call runs.
    c.post("/v1/test-counter", json={"a": 1})
    assert hits["n"] == 2


def test_idempotency_rejects_same_key_different_body(counter_app):
    c, hits = counter_app
    c.post("/v1/test-counter", json={"a": 1}, headers={"Idempotency-Key": "k-2"})
    r = c.post("/v1/test-counter", json={"a": 2}, headers={"Idempotency-Key": "k-2"})
    assert r.status_code == 422 and r.json()["code"] == "idempotency_key_reused"
    assert hits["n"] == 1


def test_idempotency_keys_are_per_principal(counter_app):
    c, hits = counter_app
    c.post("/v1/test-counter", json={}, headers={"Idempotency-Key": "same"})
    c.post("/v1/test-counter", json={}, headers={"Idempotency-Key": "same", "X-OneCity-App-Id": "app_other"})
    assert hits["n"] == 2


def test_idempotency_does_not_store_server_errors(counter_app):
    c, hits = counter_app
    h = {"Idempotency-Key": "k-crash"}
    assert c.post("/v1/test-crash", headers=h).status_code == 500
    assert c.post("/v1/test-crash", headers=h).status_code == 500
    assert hits["n"] == 2


def test_idempotency_rejects_malformed_key(counter_app):
    c, hits = counter_app
    r = c.post("/v1/test-counter", json={}, headers={"Idempotency-Key": "x" * 300})
    assert r.status_code == 400 and r.json()["code"] == "invalid_idempotency_key"
    assert hits["n"] == 0


def test_idempotency_does_not_store_auth_failures(counter_app):
    """An unauthenticated request must not claim a key that the real principal will use later."""
    c, hits = counter_app
    from fastapi import Depends

    from onecity.authz import Principal, allow

    router = APIRouter()

    @router.post("/v1/test-citizen-only")
    def citizen_only(principal: Principal = Depends(allow("citizen"))) -> dict:
        hits["n"] += 1
        return {"ok": True}

    c.app.include_router(router)
    h = {"Idempotency-Key": "k-auth"}
    assert c.post("/v1/test-citizen-only", headers=h).status_code == 401
    with transaction() as s:
        from onecity.idempotency import IdempotencyRecord

        assert s.scalars(select(IdempotencyRecord).where(IdempotencyRecord.key == "k-auth")).first() is None
