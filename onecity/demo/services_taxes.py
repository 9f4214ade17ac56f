"""The demo city's taxes: 国家税务总局深圳市税务局 (staff `tax-bureau`, console /console/services/taxes)
is a tax office, and the demo family has taxes due in the app (/app/services/taxes):

- 王芳 (her new-energy car is exempt from vehicle and vessel tax): the individual income tax annual
  settlement of last year, balance due 1,286.40, which was due by 30 June — so the app shows the late
  surcharge (0.05% a day) growing on it;
- 张伟: vehicle and vessel tax 2026 for 粤B8K2M6 (1.6–2.0 L), 480.00 by 31 December; and flexible-
  employment social insurance for this month, 1,179.50, by the 25th of next month.

Idempotent by the bureau's references (`DEMO-TAX-…`, each naming its period, so a run in a later
year adds that year's taxes).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from onecity import clock
from onecity.demo import cast
from onecity.errors import DomainError
from onecity.services.taxes import service as taxes
from onecity.services.taxes.schemas import AssessmentIn

ACTOR = "demo:seed"


def _plan(today: date) -> list[tuple[cast.DemoCitizen, str, str, str, int, date, str]]:
    month = f"{today.year}-{today.month:02d}"
    next_month = date(today.year + (today.month == 12), today.month % 12 + 1, 25)
    return [
        (cast.MAIN, f"DEMO-TAX-IIT-{today.year - 1}-MAIN", "iit_annual", f"{today.year - 1}", 128_640, date(today.year, 6, 30),
         f"{today.year - 1}年度个人所得税综合所得汇算应补税额"),
        (cast.SPOUSE, f"DEMO-TAX-VV-{today.year}-SPOUSE", "vehicle_vessel", f"{today.year}", 48_000, date(today.year, 12, 31),
         "车船税 粤B8K2M6（1.6升以上至2.0升）"),
        (cast.SPOUSE, f"DEMO-TAX-SI-{month}-SPOUSE", "flexible_social_insurance", month, 117_950, next_month,
         "灵活就业人员基本养老、医疗保险费"),
    ]


def seed(session: Session, report: Any, ids: dict[str, str], made: dict[str, Any]) -> None:
    bureau = made.get("tax-bureau")
    if bureau is None:
        return
    taxes.register_office(session, org_id=bureau.public_id, actor=ACTOR)
    today = clock.today_local().date()
    for who, ref, item, period, amount, due_on, text in _plan(today):
        if who.key not in ids:
            continue
        try:
            taxes.issue_assessment(session, office_org_id=bureau.public_id, actor=ACTOR, assessment=AssessmentIn(
                id_number=who.id_number, item=item, period=period, amount_fen=amount, due_on=due_on,
                description=text, source_ref=ref))
        except DomainError as exc:
            report.problems.append(f"taxes {ref}: {exc.code}")
    session.flush()
