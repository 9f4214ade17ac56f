"""Accounts: one-time codes (issue, deliver by SMS after commit, check), sign-up, passwords, lockout."""
# ruff: noqa: S106, S107 - test passwords and token kinds are data, not secrets

from __future__ import annotations

import base64
import logging
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from onecity import clock, outbox
from onecity.config import get_settings
from onecity.crypto.fields import decrypt_str
from onecity.db import transaction
from onecity.errors import InvalidInput, RateLimited
from onecity.identity import service, sms
from onecity.identity.mobile import InvalidMobile, parse_mobile
from onecity.identity.models import Citizen, OtpChallenge
from tests.identity.factories import deliver_code, fresh_mobile, make_citizen, sms_gateway

T0 = datetime(2026, 11, 26, 2, 0, tzinfo=UTC)  # on an hour boundary: rate-limit windows start here


@pytest.fixture(autouse=True)
def _frozen_clock_and_gateway():
    clock.freeze(T0)
    yield
    sms.use_sender(None)
    clock.reset()


def _request(mobile: str, purpose: str = "login", ip: str | None = "10.0.0.1"):
    with transaction() as s:
        return service.request_otp(s, mobile=mobile, purpose=purpose, ip=ip)


def _as_the_api_does(call):
    """Run `call(session)` in its own transaction, committing the attempt counters of a failure
    (onecity.identity.web_session.keeping_recorded_failures, as the API and pages do)."""
    from onecity.identity.web_session import keeping_recorded_failures

    with transaction() as s, keeping_recorded_failures(s):
        return call(s)


def _sign_in(mobile: str, code: str):
    return _as_the_api_does(lambda s: service.sign_in_with_otp(s, mobile=mobile, code=code))


# --- mobile numbers -------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "bare"), [
    ("13800138000", "13800138000"), ("+86 138-0013-8000", "13800138000"), ("008619912345678", "19912345678"),
    ("8613800138000", "13800138000"), ("１３８００１３８０００", "13800138000"),
])
def test_mobile_numbers_are_normalised(text, bare):
    assert parse_mobile(text) == bare


@pytest.mark.parametrize("bad", ["", "12800138000", "1380013800", "138001380001", "+1 4155550100", "abc", "1" * 40])
def test_bad_mobile_numbers(bad):
    with pytest.raises(InvalidMobile) as e:
        parse_mobile(bad)
    assert e.value.code == "mobile_invalid"


# --- one-time codes -------------------------------------------------------------------------------

def test_sign_up_with_a_code_delivered_after_commit():
    gateway = sms_gateway()
    mobile = fresh_mobile()
    sent = _request(mobile)
    assert sent.mobile_masked == mobile[:3] + "****" + mobile[-4:]
    assert sent.expires_in == get_settings().otp_ttl_seconds
    assert gateway.inbox(mobile) == []  # nothing leaves the process inside the transaction
    code = deliver_code(gateway, mobile)
    assert len(code) == 6 and code.isdigit()
    assert "【一网通城" in gateway.inbox(mobile)[-1].text

    result = _sign_in(mobile, code)
    assert result.signed_up
    with transaction() as s:
        citizen = s.scalars(select(Citizen)).one()
        assert citizen.public_id.startswith("cit_") and citizen.public_id == result.citizen.public_id
        assert citizen.mobile_masked == mobile[:3] + "****" + mobile[-4:]
        assert mobile.encode() not in citizen.mobile_enc
        assert decrypt_str(citizen.mobile_enc, purpose=service.ENC_CITIZEN_MOBILE) == mobile
        assert citizen.mobile_index == service.mobile_index(mobile) and mobile not in citizen.mobile_index
        assert citizen.verified_at is None


def test_second_sign_in_finds_the_same_account():
    gateway = sms_gateway()
    mobile = fresh_mobile()
    _request(mobile)
    first = _sign_in(mobile, deliver_code(gateway, mobile))
    clock.advance(timedelta(minutes=2))
    _request(mobile)
    second = _sign_in(mobile, deliver_code(gateway, mobile))
    assert not second.signed_up and second.citizen.public_id == first.citizen.public_id


def test_the_outbox_event_holds_the_code_and_mobile_encrypted_only():
    mobile = fresh_mobile()
    sms_gateway()
    _request(mobile)
    with transaction() as s:
        event = s.scalars(select(outbox.OutboxEvent).where(outbox.OutboxEvent.topic == service.OTP_TOPIC)).one()
        payload = dict(event.payload)
    text = str(payload)
    assert mobile not in text
    assert set(payload) == {"message_id", "purpose", "mobile_enc", "code_enc", "expires_at"}
    mobile_back, code = service.decode_otp_event(payload)
    assert mobile_back == mobile and len(code) == 6 and code not in text
    # A ciphertext moved to the other field does not decrypt (the purpose is bound in).
    with pytest.raises(Exception):  # noqa: B017 - cryptography's InvalidTag
        decrypt_str(base64.b64decode(payload["code_enc"]), purpose=service.ENC_SMS_MOBILE)


def test_a_code_is_single_use():
    gateway = sms_gateway()
    mobile = fresh_mobile()
    _request(mobile)
    code = deliver_code(gateway, mobile)
    _sign_in(mobile, code)
    with pytest.raises(service.OtpExpired):
        _sign_in(mobile, code)


def test_a_code_expires():
    gateway = sms_gateway()
    mobile = fresh_mobile()
    _request(mobile)
    code = deliver_code(gateway, mobile)
    clock.freeze(T0 + timedelta(seconds=get_settings().otp_ttl_seconds))
    with pytest.raises(service.OtpExpired) as e:
        _sign_in(mobile, code)
    assert e.value.code == "otp_expired"


def test_wrong_codes_use_up_the_attempts_and_then_even_the_right_code_fails():
    gateway = sms_gateway()
    mobile = fresh_mobile()
    _request(mobile)
    code = deliver_code(gateway, mobile)
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    max_attempts = get_settings().otp_max_attempts
    for n in range(1, max_attempts):
        with pytest.raises(service.OtpInvalid) as e:
            _sign_in(mobile, wrong)
        assert e.value.extra["attempts_left"] == max_attempts - n
    with pytest.raises(service.OtpAttemptsExceeded):
        _sign_in(mobile, wrong)
    with pytest.raises(service.OtpExpired):  # the challenge is dead
        _sign_in(mobile, code)
    with transaction() as s:
        assert s.scalar(select(func.count()).select_from(Citizen)) == 0


def test_malformed_code_is_input_error_and_costs_no_attempt():
    sms_gateway()
    mobile = fresh_mobile()
    _request(mobile)
    with pytest.raises(InvalidInput):
        _sign_in(mobile, "12ab56")
    with transaction() as s:
        assert s.scalars(select(OtpChallenge)).one().attempts == 0


def test_a_new_code_replaces_the_old_one():
    gateway = sms_gateway()
    mobile = fresh_mobile()
    _request(mobile)
    old = deliver_code(gateway, mobile)
    clock.advance(timedelta(seconds=get_settings().otp_resend_seconds))
    _request(mobile)
    new = deliver_code(gateway, mobile)
    if old != new:
        with pytest.raises((service.OtpInvalid, service.OtpExpired)):
            _sign_in(mobile, old)
    assert _sign_in(mobile, new).signed_up


def test_resend_interval():
    mobile = fresh_mobile()
    _request(mobile)
    clock.advance(timedelta(seconds=get_settings().otp_resend_seconds - 1))
    with pytest.raises(RateLimited) as e:
        _request(mobile)
    assert e.value.extra["retry_after"] == 1
    clock.advance(timedelta(seconds=1))
    _request(mobile)


def test_per_mobile_hourly_limit_on_a_sliding_hour():
    limit = get_settings().otp_max_per_hour
    mobile = fresh_mobile()
    gap = timedelta(seconds=get_settings().otp_resend_seconds)
    for _ in range(limit):
        _request(mobile)
        clock.advance(gap)
    with pytest.raises(RateLimited):
        _request(mobile)
    with transaction() as s:  # the refused request left nothing behind
        assert s.scalar(select(func.count()).select_from(OtpChallenge)) == limit
    # Just past the next fixed window the old hits still weigh in (sliding hour) …
    clock.freeze(T0 + timedelta(hours=1, minutes=1))
    with pytest.raises(RateLimited):
        _request(mobile)
    # … an hour after the burst they no longer do.
    clock.freeze(T0 + timedelta(hours=1, minutes=59))
    _request(mobile)


def test_per_ip_limit_counts_across_mobiles():
    limit = get_settings().otp_max_per_hour_per_ip
    for _ in range(limit):
        _request(fresh_mobile(), ip="192.0.2.7")
    with pytest.raises(RateLimited):
        _request(fresh_mobile(), ip="192.0.2.7")
    _request(fresh_mobile(), ip="192.0.2.8")


def test_password_reset_code_goes_only_to_existing_accounts():
    gateway = sms_gateway()
    with transaction() as s:
        citizen = make_citizen(s, verified=False)
        mobile = service.citizen_mobile(s, citizen.public_id)
    stranger = fresh_mobile()
    a = _request(mobile, purpose="password_reset")
    b = _request(stranger, purpose="password_reset")
    assert a.expires_in == b.expires_in  # the answer does not say who has an account
    deliver_code(gateway, mobile)
    outbox.run_once()
    assert gateway.inbox(stranger) == []


# --- the SMS senders ------------------------------------------------------------------------------

def test_simulated_gateway_fails_and_duplicates_but_the_code_arrives():
    from onecity.app import load_subscribers

    load_subscribers()
    gateway = sms_gateway(seed=5, failure_rate=0.3, duplicate_rate=0.3)  # seed 5: failures and duplicates
    mobiles = [fresh_mobile() for _ in range(8)]
    for m in mobiles:
        _request(m, ip=None)
    for _ in range(40):  # the worker's passes, with the clock moved past each retry's backoff
        outbox.run_once()
        if all(gateway.inbox(m) for m in mobiles):
            break
        clock.advance(timedelta(seconds=5))
    assert all(gateway.inbox(m) for m in mobiles)
    assert gateway.failures > 0
    assert any(len(gateway.inbox(m)) > 1 for m in mobiles)  # duplicate deliveries happen
    for m in mobiles:
        assert len({msg.message_id for msg in gateway.inbox(m)}) == 1


def test_simulated_gateway_is_deterministic_for_a_seed():
    def run(seed):
        g = sms.SimulatedSmsGateway(seed=seed, failure_rate=0.4, duplicate_rate=0.3, max_delay_seconds=0)
        outcomes = []
        for i in range(20):
            try:
                g.send("13800138000", f"m{i}", message_id=str(i))
                outcomes.append(len(g.inbox("13800138000")))
            except sms.SmsDeliveryError:
                outcomes.append(-1)
        return outcomes

    assert run(11) == run(11)
    assert run(11) != run(12)


def test_a_code_that_expired_while_the_gateway_was_down_is_not_sent():
    gateway = sms_gateway(failure_rate=1.0)
    mobile = fresh_mobile()
    _request(mobile)
    outbox.run_once()
    assert gateway.failures == 1
    gateway.failure_rate = 0.0
    clock.advance(timedelta(seconds=get_settings().otp_ttl_seconds + 1))
    outbox.run_once()
    assert gateway.inbox(mobile) == []


def test_log_sender_writes_the_code_with_the_mobile_masked(caplog):
    sms.use_sender(sms.LogSmsSender())
    mobile = fresh_mobile()
    _request(mobile)
    with caplog.at_level(logging.INFO, logger="onecity.sms"):
        outbox.run_once()
    records = [r for r in caplog.records if r.name == "onecity.sms"]
    assert len(records) == 1
    text = records[0].getMessage()
    assert "验证码" in text and mobile not in text and mobile[:3] + "****" + mobile[-4:] in text


def test_sms_backend_setting_selects_the_sender():
    assert isinstance(sms.make_sender("log"), sms.LogSmsSender)
    assert isinstance(sms.make_sender("simulated"), sms.SimulatedSmsGateway)
    with pytest.raises(ValueError):
        sms.make_sender("carrier-pigeon")


# --- passwords ------------------------------------------------------------------------------------

def _password_sign_in(mobile: str, password: str):
    return _as_the_api_does(lambda s: service.sign_in_with_password(s, mobile=mobile, password=password))


def test_password_policy():
    for weak in ("short1", "allletters", "1234567890", "abc 12"):
        with pytest.raises(service.PasswordWeak):
            service.check_password_policy(weak)
    with pytest.raises(service.PasswordWeak):
        service.check_password_policy("x13800138000y", mobile="13800138000")
    service.check_password_policy("tiger2026")


def test_set_password_and_sign_in():
    with transaction() as s:
        citizen = make_citizen(s, verified=False, password="tiger2026")
        mobile = service.citizen_mobile(s, citizen.public_id)
        assert citizen.password_hash and citizen.password_hash.startswith("$argon2id$")
    assert _password_sign_in(mobile, "tiger2026").public_id == citizen.public_id


def test_changing_a_password_needs_proof():
    with transaction() as s:
        citizen = make_citizen(s, verified=False, password="tiger2026")
        cid = citizen.public_id
    with transaction() as s, pytest.raises(service.PasswordProofRequired):
        service.set_password(s, citizen_id=cid, password="lion2027x")
    with transaction() as s, pytest.raises(service.InvalidCredentials):
        service.set_password(s, citizen_id=cid, password="lion2027x", current_password="wrong2026")
    with transaction() as s:
        service.set_password(s, citizen_id=cid, password="lion2027x", current_password="tiger2026")


def test_reset_password_with_a_code():
    gateway = sms_gateway()
    with transaction() as s:
        citizen = make_citizen(s, verified=False, password="tiger2026")
        cid, mobile = citizen.public_id, service.citizen_mobile(s, citizen.public_id)
    _request(mobile, purpose="password_reset")
    code = deliver_code(gateway, mobile)
    with transaction() as s:
        service.set_password(s, citizen_id=cid, password="lion2027x", code=code)
    assert _password_sign_in(mobile, "lion2027x").public_id == cid


def test_wrong_password_and_unknown_mobile_fail_alike():
    with transaction() as s:
        citizen = make_citizen(s, verified=False, password="tiger2026")
        mobile = service.citizen_mobile(s, citizen.public_id)
    with pytest.raises(service.InvalidCredentials) as wrong:
        _password_sign_in(mobile, "tiger2027")
    with pytest.raises(service.InvalidCredentials) as unknown:
        _password_sign_in(fresh_mobile(), "tiger2026")
    with transaction() as s:
        no_password = make_citizen(s, verified=False)
        np_mobile = service.citizen_mobile(s, no_password.public_id)
    with pytest.raises(service.InvalidCredentials) as unset:
        _password_sign_in(np_mobile, "tiger2026")
    assert wrong.value.code == unknown.value.code == unset.value.code == "invalid_credentials"
    assert str(wrong.value) == str(unknown.value) == str(unset.value)


def test_lockout_after_repeated_failures_then_unlocks():
    limit = get_settings().password_max_failures
    with transaction() as s:
        citizen = make_citizen(s, verified=False, password="tiger2026")
        mobile = service.citizen_mobile(s, citizen.public_id)
    for _ in range(limit - 1):
        with pytest.raises(service.InvalidCredentials):
            _password_sign_in(mobile, "nottiger1")
    with pytest.raises(service.AccountLocked) as e:
        _password_sign_in(mobile, "nottiger1")
    assert e.value.code == "account_locked" and e.value.status == 423
    with pytest.raises(service.AccountLocked):  # even the right password, while locked
        _password_sign_in(mobile, "tiger2026")
    clock.advance(timedelta(seconds=2 * get_settings().password_lockout_seconds))
    assert _password_sign_in(mobile, "tiger2026").public_id == citizen.public_id


def test_unknown_mobiles_lock_too_so_locking_reveals_nothing():
    mobile = fresh_mobile()
    for _ in range(get_settings().password_max_failures - 1):
        with pytest.raises(service.InvalidCredentials):
            _password_sign_in(mobile, "guess1234")
    with pytest.raises(service.AccountLocked):
        _password_sign_in(mobile, "guess1234")


def test_success_clears_the_failure_count():
    limit = get_settings().password_max_failures
    with transaction() as s:
        citizen = make_citizen(s, verified=False, password="tiger2026")
        mobile = service.citizen_mobile(s, citizen.public_id)
    for _ in range(limit - 1):
        with pytest.raises(service.InvalidCredentials):
            _password_sign_in(mobile, "nottiger1")
    _password_sign_in(mobile, "tiger2026")
    for _ in range(limit - 1):
        with pytest.raises(service.InvalidCredentials):
            _password_sign_in(mobile, "nottiger1")


def test_a_closed_account_cannot_sign_in():
    gateway = sms_gateway()
    with transaction() as s:
        citizen = make_citizen(s, verified=False)
        citizen.status = "closed"
        mobile = service.citizen_mobile(s, citizen.public_id)
    _request(mobile)
    with pytest.raises(service.AccountClosed):
        _sign_in(mobile, deliver_code(gateway, mobile))


# --- the shared rate limiter and the error catalogue ----------------------------------------------

def test_rate_limit_holds_under_concurrent_requests():
    import threading

    from onecity.identity import ratelimit

    limit, workers = 3, 8
    results: list[str] = []
    barrier = threading.Barrier(workers)

    def attempt() -> None:
        barrier.wait()
        try:
            with transaction() as s:
                ratelimit.hit(s, "test:concurrent", limit=limit, window=timedelta(hours=1))
            results.append("ok")
        except RateLimited:
            results.append("limited")

    threads = [threading.Thread(target=attempt) for _ in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == ["limited"] * (workers - limit) + ["ok"] * limit


def test_error_codes_are_unique_and_in_both_languages():
    from onecity.errors import DomainError
    from onecity.identity import mobile, resident_id, sessions
    from onecity.identity.service import accounts, citizens, profile, real_name_verification, registry

    service_modules = (accounts, citizens, profile, real_name_verification, registry)
    classes = {c for m in (*service_modules, mobile, resident_id, sessions) for c in vars(m).values()
               if isinstance(c, type) and issubclass(c, DomainError) and c.__module__ == m.__name__}
    codes = [c.code for c in classes]
    assert len(codes) == len(set(codes)) >= 20
    for c in classes:
        assert c.message_zh != c.message_en and c.message_en.isascii() and not c.message_zh.isascii(), c


def test_unknown_mobiles_cost_one_argon2_verification_like_known_ones(monkeypatch):
    """Constant-time failure: every attempt, account or not, runs exactly one argon2 verification."""
    with transaction() as s:
        citizen = make_citizen(s, verified=False, password="tiger2026")
        known = service.citizen_mobile(s, citizen.public_id)
    from argon2 import PasswordHasher

    calls: list[str] = []
    real_verify = PasswordHasher.verify

    def counting_verify(self, stored, password):
        calls.append(stored[:9])
        return real_verify(self, stored, password)

    monkeypatch.setattr(PasswordHasher, "verify", counting_verify)
    for mobile in (known, fresh_mobile()):
        with pytest.raises(service.InvalidCredentials):
            _password_sign_in(mobile, "wrong1234")
    assert calls == ["$argon2id", "$argon2id"]


def test_prune_forgets_only_what_no_longer_counts():
    from onecity.identity.models import RateLimitCounter

    old, fresh = fresh_mobile(), fresh_mobile()
    _request(old)
    clock.freeze(T0 + timedelta(days=4))
    _request(fresh)
    with transaction() as s:
        counts = service.prune_expired(s)
    # The old code and its mobile's window go; the shared IP bucket already dropped its old window when
    # the fresh request hit it.
    assert counts == {"otp_challenges": 1, "rate_limit_windows": 1}
    with transaction() as s:
        assert s.scalar(select(func.count()).select_from(OtpChallenge)) == 1
        assert s.scalar(select(func.count()).select_from(RateLimitCounter)) == 2
