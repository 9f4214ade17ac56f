"""The demo city's housing provident fund: 深圳市住房公积金管理中心 runs it (its staff `housing-fund`
use /console/services/provident), the withdrawal service items are in the catalogue, and the demo
citizens have accounts with their contribution history:

- 王芳 at 鹏城市第一人民医院: base 15,000.00, 12% + 12% = 3,600.00 a month, the 24 months up to last
  month → 86,400.00 (she can withdraw 1,500.00 for rent at once);
- 张伟 at 鹏城地铁: base 12,000.00, 10% + 10% = 2,400.00 a month, 30 months → 72,000.00;
- 王建国 (retired): 36 months up to October 2018 at 6,000.00, 5% + 5% = 600.00 → 21,600.00, sealed
  since he retired (a retirement withdrawal goes to the centre's staff).

Idempotent: an account that exists is left as it is (no months are added on a later run).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from onecity import clock
from onecity.demo import cast
from onecity.errors import DomainError
from onecity.services.catalogue import service as catalogue
from onecity.services.catalogue.schemas import ServiceItemIn
from onecity.services.provident import rules
from onecity.services.provident import service as provident
from onecity.services.provident.items import item_definitions
from onecity.services.provident.schemas import AccountIn, ContributionLineIn

ACTOR = "demo:seed"
# who, employer (org username), base fen, employee bp, employer bp, months, last month (None = last month), sealed
PLAN: tuple[tuple[cast.DemoCitizen, str, int, int, int, int, str | None, bool], ...] = (
    (cast.MAIN, "pc-hospital", 1_500_000, 1200, 1200, 24, None, False),
    (cast.SPOUSE, "metro", 1_200_000, 1000, 1000, 30, None, False),
    (cast.PARENT, "nanshan-tcm", 600_000, 500, 500, 36, "2018-10", True),
)


def _months(n: int, last: str | None) -> list[str]:
    m = last or rules.previous_month(rules.month_key(clock.today_local().date()))
    out = [m]
    while len(out) < n:
        out.append(rules.previous_month(out[-1]))
    return out[::-1]


def _items(session: Session, centre_org_id: str) -> list[str]:
    done = []
    for d in item_definitions(centre_org_id):
        try:
            existing = catalogue.get_item(session, code=d["code"])
        except DomainError:
            existing = None
        if existing is None:
            catalogue.create_item(session, item=ServiceItemIn(**d), actor=ACTOR)
            existing = catalogue.get_item(session, code=d["code"])
            done.append(f"service item {d['code']}")
        if existing.status == "draft":
            catalogue.publish_item(session, code=d["code"], actor=ACTOR)
    return done


def seed(session: Session, report: Any, ids: dict[str, str], made: dict[str, Any]) -> None:
    centre = made.get("housing-fund")
    if centre is None:
        return
    provident.register_centre(session, org_id=centre.public_id, actor=ACTOR)
    lines = _items(session, centre.public_id)
    for who, employer_key, base, ee, er, months, last, sealed in PLAN:
        employer = made.get(employer_key)
        citizen_id = ids.get(who.key)
        if employer is None or citizen_id is None or provident.has_account(session, citizen_id=citizen_id):
            continue
        acc = provident.open_account(session, data=AccountIn(
            citizen_id=citizen_id, employer_name=employer.name_zh, employer_uscc=employer.uscc, base_fen=base,
            employee_rate_bp=ee, employer_rate_bp=er), actor=ACTOR)
        for month in _months(months, last):
            provident.post_contributions(session, employer_uscc=employer.uscc, month=month, actor=ACTOR,
                                         lines=[ContributionLineIn(account_no=acc.account_no)])
        if sealed:
            provident.set_status(session, account_no=acc.account_no, status="sealed", actor=ACTOR,
                                 reason="退休封存 sealed on retirement")
        out = provident.get_account(session, account_no=acc.account_no)
        lines.append(f"provident account {out.account_no} for {who.name}: {months} months, "
                     f"balance {out.balance_fen // 100}.{out.balance_fen % 100:02d}")
    report.money += lines
