"""Demo utility bills: biller profiles for the city's water, power and gas companies and the mobile
operator (phone top-up), the simulated billers' customer accounts with bills for the demo people, and
accounts already added in the app — with one autopay.

王芳 (main) finds her water account (户号 `DEMO_WATER_NO`, bill ¥86.40) at the simulated water
company and adds it herself under 生活缴费; her electricity (autopay up to ¥300) and gas accounts
are in the app already, and so is her father 王建国's water account, which she may see and pay (she
holds view_bills and pay_bills over him). Re-running changes nothing (the same day: bills are for the
previous month).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy.orm import Session

from onecity import clock
from onecity.demo import cast
from onecity.services.bills import rules, service
from onecity.services.bills.schemas import BillerProfileIn

ACTOR = "demo:seed"


DEMO_WATER_NO = "075586400" + rules.luhn_digit("075586400")  # 王芳's water account, to add in the app
PARENT_WATER_NO = "075512058" + rules.luhn_digit("075512058")
MAIN_POWER_NO = "0300202611001"
MAIN_GAS_NO = "44030520" + rules.mod11_digit("44030520")
MAIN_PHONE_NO = cast.MAIN.mobile

PROFILES: dict[str, BillerProfileIn] = {
    "water-group": BillerProfileIn(product="water", account_pattern=r"\d{10}", check_digit="luhn",
                                   account_hint_zh="10 位户号，见水费账单左上角", account_hint_en="10 digits, top left of the bill"),
    "power-supply": BillerProfileIn(product="electricity", account_pattern=r"\d{13}",
                                    account_hint_zh="13 位用电户号", account_hint_en="13-digit customer number"),
    "gas-group": BillerProfileIn(product="gas", account_pattern=r"\d{8}[0-9X]", check_digit="mod11",
                                 account_hint_zh="9 位用户编号（末位校验码）", account_hint_en="9 characters, the last a check digit"),
    "china-mobile": BillerProfileIn(product="phone", account_pattern=r"1[3-9]\d{9}",
                                    topup_amounts=list(rules.TOPUP_AMOUNTS),
                                    account_hint_zh="11 位手机号", account_hint_en="11-digit mobile number"),
}


def _last_month(today: date) -> str:
    first = today.replace(day=1) - timedelta(days=1)
    return f"{first.year:04d}-{first.month:02d}"


def seed(session: Session, report: Any, ids: dict[str, str], made: dict[str, Any]) -> None:
    today = clock.today_local().date()
    period = _last_month(today)
    known = {b.org_id for b in service.list_billers(session)}
    orgs: dict[str, str] = {}
    for username, profile in PROFILES.items():
        org = made.get(username)
        if org is None:  # e.g. the telecom operator before cast.py lists it
            continue
        orgs[username] = org.public_id
        if org.public_id not in known:
            service.set_profile(session, org_id=org.public_id, profile=profile, actor=ACTOR)

    def bill(username: str, number: str, amount: int, due_in_days: int, holder: str) -> None:
        if username in orgs:
            service.simulator(orgs[username]).issue_bill(number, period=period, amount=amount,
                                                         due_date=today + timedelta(days=due_in_days),
                                                         holder_masked=holder, session=session)

    bill("water-group", DEMO_WATER_NO, 8_640, 10, "*芳")
    bill("water-group", PARENT_WATER_NO, 4_270, 8, "*建国")
    bill("power-supply", MAIN_POWER_NO, 23_580, 3, "*芳")
    bill("gas-group", MAIN_GAS_NO, 5_820, 12, "*芳")
    if "china-mobile" in orgs:
        service.simulator(orgs["china-mobile"]).open_account(MAIN_PHONE_NO, holder_masked="*芳", session=session)

    main, parent = ids.get(cast.MAIN.key), ids.get(cast.PARENT.key)
    added: list[str] = []

    def account(owner: str | None, username: str, number: str, alias: str) -> str | None:
        if owner is None or username not in orgs:
            return None
        mine = service.list_accounts(session, citizen_id=owner)
        masked = rules.mask_account(number)
        existing = next((a for a in mine if a.biller_org_id == orgs[username] and a.number_masked == masked), None)
        if existing is not None:
            return existing.account_id
        added.append(alias)
        return service.add_account(session, citizen_id=owner, biller_org_id=orgs[username], account_no=number,
                                   alias=alias, actor=ACTOR).account_id

    power = account(main, "power-supply", MAIN_POWER_NO, "家里电费")
    account(main, "gas-group", MAIN_GAS_NO, "家里燃气")
    account(main, "china-mobile", MAIN_PHONE_NO, "我的手机")
    account(parent, "water-group", PARENT_WATER_NO, "家里水费")
    if main and power and not service.get_account(session, citizen_id=main, account_id=power).autopay:
        service.set_autopay(session, citizen_id=main, account_id=power, enabled=True, limit=30_000, actor=ACTOR)
    report.money.append(f"utility bills: {len(orgs)} billers ({', '.join(orgs)}), bills for {period}; "
                        f"王芳 adds water account {DEMO_WATER_NO} (¥86.40) herself; "
                        f"accounts added now: {', '.join(added) or 'none (already there)'}; autopay on 家里电费 ≤ ¥300")
