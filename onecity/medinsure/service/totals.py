"""The pooled fund's daily totals (city dates): what settlements moved that day by payer category, and
the refunds made that day (a refund counts on the day it happens, not on its settlement's day)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from onecity.errors import InvalidInput
from onecity.medinsure.models import MedRefund, MedSettlement
from onecity.medinsure.schemas import DailyTotalsOut


def fund_daily_totals(session: Session, *, day: date) -> DailyTotalsOut:
    s = session.execute(select(func.count(), func.coalesce(func.sum(MedSettlement.total_fen), 0),
                               func.coalesce(func.sum(MedSettlement.fund_fen), 0),
                               func.coalesce(func.sum(MedSettlement.personal_fen), 0),
                               func.coalesce(func.sum(MedSettlement.commercial_fen), 0),
                               func.coalesce(func.sum(MedSettlement.self_fen), 0))
                        .where(MedSettlement.day == day)).one()
    r = session.execute(select(func.count(), func.coalesce(func.sum(MedRefund.total_fen), 0),
                               func.coalesce(func.sum(MedRefund.fund_fen), 0))
                        .where(MedRefund.day == day)).one()
    return DailyTotalsOut(day=day, settlements=int(s[0]), total_fen=int(s[1]), fund_fen=int(s[2]),
                          personal_fen=int(s[3]), commercial_fen=int(s[4]), self_pay_fen=int(s[5]),
                          refunds=int(r[0]), refunded_fen=int(r[1]), refunded_fund_fen=int(r[2]),
                          net_fund_fen=int(s[2]) - int(r[2]))


def parse_day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise InvalidInput(detail="day must be YYYY-MM-DD") from exc
