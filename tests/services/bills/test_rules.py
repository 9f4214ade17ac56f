"""The pure rules: account-number checks, masking, the payment state machine (every illegal
transition refused), the autopay decision and the reconciliation file's arithmetic."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from onecity.services.bills import rules
from onecity.services.bills.errors import AccountNumberInvalid, PaymentStateInvalid


def test_luhn_and_mod11_worked_examples():
    # Luhn: 7992739871|3 — doubling every second digit from the right gives 7+9+9+4+7+6+9+7+7+2+3 = 70 ≡ 0 (mod 10).
    assert rules.luhn_ok("79927398713") and not rules.luhn_ok("79927398710")
    assert rules.luhn_digit("7992739871") == "3"
    # mod 11 over "44030012", weights 2..7 from the right: 2·2+1·3+0·4+0·5+3·6+0·7+4·2+4·3 = 45;
    # 45 mod 11 = 1; 11 − 1 = 10 → "X".
    assert rules.mod11_digit("44030012") == "X"
    # "12345678": 8·2+7·3+6·4+5·5+4·6+3·7+2·2+1·3 = 138; 138 mod 11 = 6; 11 − 6 = 5.
    assert rules.mod11_digit("12345678") == "5"


def test_account_numbers_are_checked_against_the_billers_format():
    assert rules.check_account_number(" 7992 7398 713 ", pattern=r"\d{11}", check_digit="luhn") == "79927398713"
    assert rules.check_account_number("44030012x", pattern=r"\d{8}[0-9X]", check_digit="mod11") == "44030012X"
    for bad, pattern, check in [("79927398710", r"\d{11}", "luhn"), ("7992739871", r"\d{11}", "luhn"),
                                ("440300125", r"\d{8}[0-9X]", "mod11"), ("", r"\d+", "none"),
                                ("12ab", r"\d+", "none"), ("1" * 33, r"\d+", "none")]:
        with pytest.raises(AccountNumberInvalid):
            rules.check_account_number(bad, pattern=pattern, check_digit=check)


def test_masking_keeps_the_ends():
    assert rules.mask_account("0755123456") == "07****3456"
    assert rules.mask_account("13812345678") == "13*****5678"
    assert rules.mask_account("12345") == "***45"


def test_every_legal_transition_and_every_illegal_one():
    legal = {("pending", "acknowledged"), ("pending", "confirmed"), ("pending", "refunded"),
             ("acknowledged", "pending"), ("acknowledged", "confirmed"), ("acknowledged", "refunded")}
    for current in rules.STATES:
        for target in (*rules.STATES, "unknown"):
            if (current, target) in legal:
                assert rules.next_state(current, target) == target
            else:
                with pytest.raises(PaymentStateInvalid):
                    rules.next_state(current, target)
    with pytest.raises(PaymentStateInvalid):
        rules.next_state("nonsense", "pending")


def test_autopay_decides_on_the_due_date_within_the_limit():
    due = date(2026, 11, 20)
    d = rules.autopay_decision
    assert d(amount=8_640, due_date=due, today=date(2026, 11, 19), limit=10_000, status="unpaid").reason == "not_due"
    assert d(amount=8_640, due_date=due, today=due, limit=10_000, status="unpaid").pay
    assert d(amount=10_000, due_date=due, today=due, limit=10_000, status="unpaid").pay  # equal to the limit: paid
    over = d(amount=10_001, due_date=due, today=due, limit=10_000, status="unpaid")
    assert (over.pay, over.reason) == (False, "over_limit")
    assert d(amount=8_640, due_date=due, today=date(2026, 11, 25), limit=10_000, status="unpaid").pay  # late: still
    assert d(amount=8_640, due_date=due, today=due, limit=10_000, status="paid").reason == "already_paid"
    assert d(amount=8_640, due_date=None, today=due, limit=10_000, status="unpaid").reason == "not_due"


def test_reconciliation_file_worked_example():
    at = datetime(2026, 11, 25, 3, 0, tzinfo=UTC).astimezone(rules_tz())
    lines = [rules.ReconLine("bpy_1", "0755-2026-10", "07****3456", 8_640, at),
             rules.ReconLine("bpy_2", "B,2", "07****9999", 12_000, at),
             rules.ReconLine("bpy_3", "B3", "07****0000", 3_550, at)]
    text = rules.recon_csv(biller_org_id="org_x", day=date(2026, 11, 25), lines=lines, generated_at=at)
    # 86.40 + 120.00 + 35.50 = 241.90 yuan → 8640 + 12000 + 3550 = 24190 fen, 3 lines.
    assert text.splitlines()[0].startswith("# ONECITY-BILLS-RECON v1,biller=org_x,date=2026-11-25,count=3,total_fen=24190")
    assert text.splitlines()[1] == "platform_ref,biller_bill_id,account_masked,amount_fen,confirmed_at"
    assert text.splitlines()[3].split(",")[1] == "B_2"  # a comma in an id cannot break the columns
    assert text.splitlines()[-1] == "# END,count=3,total_fen=24190"
    assert rules.parse_recon_totals(text) == (3, 24_190)
    with pytest.raises(ValueError):
        rules.parse_recon_totals(text.replace(",12000,", ",12001,"))
    with pytest.raises(ValueError):
        rules.parse_recon_totals("\n".join(text.splitlines()[:-1]))


def rules_tz():  # type: ignore[no-untyped-def]
    from onecity.clock import CITY_TZ

    return CITY_TZ
