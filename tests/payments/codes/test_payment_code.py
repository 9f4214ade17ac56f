"""Consuming payment codes: resolution, each code pays once, expiry, clock skew, guessing limit, and
the small-amount limit — on both databases (concurrency on PostgreSQL)."""

from __future__ import annotations

import base64
import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from onecity import clock, db
from onecity.payments.codes import service, totp
from onecity.payments.codes.models import PaycodeDevice, PaycodeUse
from onecity.payments.codes.service import (
    InvalidPaymentCode,
    LimitOutOfRange,
    PaymentCodeExpired,
    PaymentCodeGuessLimit,
    PaymentCodeUsed,
)

T0 = datetime(2026, 11, 26, 8, 0, 10, tzinfo=UTC)  # 10 s into a minute
MERCHANT = "org_01MERCHANTA"
OTHER_MERCHANT = "org_01MERCHANTB"


def _secret(device: object) -> bytes:
    text = device.secret  # type: ignore[attr-defined]
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _code(device: object, at: datetime) -> str:
    return totp.payment_code(_secret(device), device.number, totp.time_step(int(at.timestamp())))  # type: ignore[attr-defined]


@pytest.fixture
def device(session: Session):  # type: ignore[no-untyped-def]
    clock.freeze(T0)
    d = service.provision_device(session, citizen_id="cit_01ALICE", session_id="ses_1", label="iPhone")
    session.commit()
    return d


def test_code_resolves_to_the_citizen_once(session: Session, device) -> None:  # type: ignore[no-untyped-def]
    code = _code(device, T0)
    assert len(code) == 18 and code.startswith("28") and code[2:10] == device.number
    assert code == service.current_code(session, device_id=device.device_id)
    holder = service.consume_payment_code(session, code=code, merchant_id=MERCHANT)
    assert holder.citizen_id == "cit_01ALICE"
    assert holder.small_amount_limit_fen == 20_000  # the default 200.00 yuan
    assert holder.code_id.startswith("pcu_")
    session.commit()
    with pytest.raises(PaymentCodeUsed):
        service.consume_payment_code(session, code=code, merchant_id=MERCHANT)
    session.rollback()
    with pytest.raises(PaymentCodeUsed):  # not at another merchant either
        service.consume_payment_code(session, code=code, merchant_id=OTHER_MERCHANT)


def test_secret_is_encrypted_at_rest(session: Session, device) -> None:  # type: ignore[no-untyped-def]
    row = session.scalars(select(PaycodeDevice)).one()
    assert _secret(device) not in row.secret_enc and len(_secret(device)) == 32
    assert service.list_devices(session, citizen_id="cit_01ALICE")[0].secret is None


def test_clock_skew_of_one_step_either_way(session: Session, device) -> None:  # type: ignore[no-untyped-def]
    # The phone's clock is a minute behind: its code is of the previous step — accepted.
    service.consume_payment_code(
        session, code=_code(device, T0 - timedelta(seconds=60)), merchant_id=MERCHANT
    )
    # A minute ahead: the next step — accepted too (and newer than the one just used).
    service.consume_payment_code(
        session, code=_code(device, T0 + timedelta(seconds=60)), merchant_id=MERCHANT
    )
    session.commit()
    assert len(session.scalars(select(PaycodeUse)).all()) == 2


def test_older_codes_are_expired_and_farther_future_is_invalid(session: Session, device) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(PaymentCodeExpired):
        service.consume_payment_code(
            session, code=_code(device, T0 - timedelta(minutes=2)), merchant_id=MERCHANT
        )
    with pytest.raises(PaymentCodeExpired):
        service.consume_payment_code(
            session, code=_code(device, T0 - timedelta(minutes=10)), merchant_id=MERCHANT
        )
    with pytest.raises(InvalidPaymentCode):
        service.consume_payment_code(
            session, code=_code(device, T0 + timedelta(minutes=2)), merchant_id=MERCHANT
        )


def test_a_code_shown_before_a_used_one_is_expired(session: Session, device) -> None:  # type: ignore[no-untyped-def]
    current, previous = _code(device, T0), _code(device, T0 - timedelta(seconds=60))
    service.consume_payment_code(session, code=current, merchant_id=MERCHANT)
    with pytest.raises(PaymentCodeExpired):
        service.consume_payment_code(session, code=previous, merchant_id=MERCHANT)


def test_code_expires_when_the_clock_moves(session: Session, device) -> None:  # type: ignore[no-untyped-def]
    code = _code(device, T0)
    clock.advance(timedelta(seconds=100))  # 08:01:50, still the next step: within the skew window
    service.consume_payment_code(session, code=code, merchant_id=MERCHANT)
    session.rollback()
    clock.advance(timedelta(seconds=60))  # two steps later
    with pytest.raises(PaymentCodeExpired):
        service.consume_payment_code(session, code=code, merchant_id=MERCHANT)


@pytest.mark.parametrize(
    "bad", ["", "abc", "28", "123456789012345678", "2812345678123456789", "28" + "0" * 16]
)
def test_malformed_or_unknown_codes_are_invalid(session: Session, device, bad: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidPaymentCode) as info:
        service.consume_payment_code(session, code=bad, merchant_id=MERCHANT)
    assert info.value.code == "payment_code_invalid" and info.value.status == 400


def test_wrong_digits_for_a_real_device_are_invalid(session: Session, device) -> None:  # type: ignore[no-untyped-def]
    code = _code(device, T0)
    wrong = code[:-1] + str((int(code[-1]) + 1) % 10)
    with pytest.raises(InvalidPaymentCode):
        service.consume_payment_code(session, code=wrong, merchant_id=MERCHANT)


def test_revoked_devices_do_not_pay(session: Session, device) -> None:  # type: ignore[no-untyped-def]
    service.revoke_device(session, citizen_id="cit_01ALICE", device_id=device.device_id)
    with pytest.raises(InvalidPaymentCode):
        service.consume_payment_code(session, code=_code(device, T0), merchant_id=MERCHANT)


def test_provisioning_again_revokes_the_sessions_older_device(session: Session, device) -> None:  # type: ignore[no-untyped-def]
    newer = service.provision_device(session, citizen_id="cit_01ALICE", session_id="ses_1")
    assert newer.number != device.number
    with pytest.raises(InvalidPaymentCode):
        service.consume_payment_code(session, code=_code(device, T0), merchant_id=MERCHANT)
    assert (
        service.consume_payment_code(session, code=_code(newer, T0), merchant_id=MERCHANT).citizen_id
        == "cit_01ALICE"
    )
    again = service.device_for_session(session, citizen_id="cit_01ALICE", session_id="ses_1")
    assert again.device_id == newer.device_id and again.secret == newer.secret


def test_wrong_guesses_are_limited_per_merchant_and_survive_rollback(session: Session, device) -> None:  # type: ignore[no-untyped-def]
    for i in range(service.GUESS_LIMIT):
        with pytest.raises(InvalidPaymentCode):
            service.consume_payment_code(session, code=f"28{device.number}{i:08d}", merchant_id=MERCHANT)
        session.rollback()  # the merchant's request fails and rolls back: the count must stay
    with pytest.raises(PaymentCodeGuessLimit) as info:
        service.consume_payment_code(session, code=_code(device, T0), merchant_id=MERCHANT)
    assert info.value.status == 429
    session.rollback()
    # Another merchant is not affected, and the good code is still unused.
    service.consume_payment_code(session, code=_code(device, T0), merchant_id=OTHER_MERCHANT)
    session.rollback()
    # The sliding window: half a window later, half of the previous window's 10 still count (5 < 10).
    clock.advance(service.GUESS_WINDOW + service.GUESS_WINDOW / 2)
    assert service.wrong_guesses(session, MERCHANT) <= 5.01
    service.consume_payment_code(
        session, code=service.current_code(session, device_id=device.device_id), merchant_id=MERCHANT
    )


def test_wrong_guesses_committed_by_the_caller_count_once(session: Session, device) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidPaymentCode):
        service.consume_payment_code(session, code="28" + device.number + "00000000", merchant_id=MERCHANT)
    session.commit()
    assert service.wrong_guesses(session, MERCHANT) == 1


def test_small_amount_limit_rules(session: Session, device) -> None:  # type: ignore[no-untyped-def]
    assert service.get_settings(session, citizen_id="cit_01ALICE").small_amount_limit_fen == 20_000
    assert (
        service.set_small_amount_limit(session, citizen_id="cit_01ALICE", limit_fen=0).small_amount_limit_fen
        == 0
    )
    holder = service.consume_payment_code(session, code=_code(device, T0), merchant_id=MERCHANT)
    assert holder.small_amount_limit_fen == 0  # 0: every payment by code waits for confirmation
    service.set_small_amount_limit(
        session, citizen_id="cit_01ALICE", limit_fen=200_000
    )  # 2,000.00 is the top
    assert service.small_amount_limit(session, "cit_01ALICE") == 200_000
    for bad in (-1, 200_001):
        with pytest.raises(LimitOutOfRange):
            service.set_small_amount_limit(session, citizen_id="cit_01ALICE", limit_fen=bad)


def test_each_code_pays_once_under_concurrency(session: Session, device) -> None:  # type: ignore[no-untyped-def]
    """16 cashiers scan the same code at once: exactly one use commits."""
    if session.get_bind().dialect.name != "postgresql":
        pytest.skip("real concurrency needs PostgreSQL (SQLite serialises writers)")
    code = _code(device, T0)
    barrier = threading.Barrier(16)
    outcomes: list[str] = []
    lock = threading.Lock()

    def scan(i: int) -> None:
        with db.session_factory()() as s:
            barrier.wait()
            try:
                service.consume_payment_code(s, code=code, merchant_id=f"org_01M{i:02d}")
                s.commit()
                result = "ok"
            except PaymentCodeUsed:
                s.rollback()
                result = "used"
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=scan, args=(i,)) for i in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["ok"] + ["used"] * 15
    assert len(session.scalars(select(PaycodeUse)).all()) == 1
