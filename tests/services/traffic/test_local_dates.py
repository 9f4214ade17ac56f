"""The late penalty counts days in Shenzhen's calendar (Asia/Shanghai, UTC+8), not UTC: a decision
made at 01:00 on 1 December in Shenzhen (17:00 on 30 November UTC) is dated 1 December, and its
15 free days end at midnight Shenzhen time on 16 December."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy.orm import Session

from onecity import clock
from onecity.services.traffic import service
from tests.services.traffic.factories import Traffic, decide, make_driver


def test_the_decision_day_and_the_penalty_days_are_shenzhen_dates(session: Session, traffic: Traffic) -> None:
    d = make_driver(session, wallet=100_000)
    clock.freeze(datetime(2026, 11, 30, 17, 0, tzinfo=UTC))  # 1 December 01:00 in Shenzhen
    v = decide(session, traffic, d)  # 200.00
    assert v.decided_on == date(2026, 12, 1)
    assert v.decision_no[4:6] == "26"
    # 16 December 23:59 in Shenzhen (15:59 UTC): day 15 → still free
    clock.freeze(datetime(2026, 12, 16, 15, 59, tzinfo=UTC))
    assert service.get_decision(session, decision_no=v.decision_no).penalty_fen == 0
    # 17 December 00:00 in Shenzhen (16:00 UTC, still 16 December in UTC): day 16 → 3% × 200.00 = 6.00
    clock.freeze(datetime(2026, 12, 16, 16, 0, tzinfo=UTC))
    shown = service.get_decision(session, decision_no=v.decision_no)
    assert (shown.penalty_fen, shown.due_fen) == (600, 20_600)
    paid = service.pay_fine(session, decision_no=v.decision_no, citizen_id=d.id, expected_fen=20_600)
    assert (paid.penalty_fen, paid.paid_fen) == (600, 20_600)


def test_a_decision_on_new_years_morning_in_shenzhen_takes_the_new_year(session: Session, traffic: Traffic) -> None:
    d = make_driver(session)
    clock.freeze(datetime(2026, 12, 31, 16, 30, tzinfo=UTC))  # 1 January 2027 00:30 in Shenzhen
    v = decide(session, traffic, d)
    assert (v.decided_on, v.decision_no[4:6]) == (date(2027, 1, 1), "27")
