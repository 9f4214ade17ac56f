"""Accounts and contributions: opening, the normal ⇄ sealed state machine (every illegal change
refused), monthly postings with worked amounts, once per employer and month, and bad postings that
change nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from onecity.ledger import service as ledger
from onecity.services.provident import service
from onecity.services.provident.errors import (
    AccountExists,
    AccountInvalid,
    IllegalStatusChange,
    NotTheEmployer,
    PostingConflict,
    PostingInvalid,
)
from onecity.services.provident.models import HpfContribution, HpfPosting
from onecity.services.provident.schemas import AccountIn, ContributionLineIn
from tests.identity.family.factories import person
from tests.identity.orgs.factories import make_org
from tests.services.provident.factories import last_months, make_account, make_centre


def _open(session: Session, citizen_id: str, employer, **kw):  # type: ignore[no-untyped-def]
    data = {"citizen_id": citizen_id, "employer_name": employer.name_zh, "employer_uscc": employer.uscc,
            "base_fen": 1_000_000, "employee_rate_bp": 500, "employer_rate_bp": 500} | kw
    return service.open_account(session, data=AccountIn(**data), actor="test")


def test_open_account_and_read_it(session: Session) -> None:
    make_centre(session)
    p, employer = person(session), make_org(session)
    acc = _open(session, p.id, employer)
    assert acc.status == "normal" and acc.balance_fen == 0 and acc.continuous_months == 0
    assert acc.monthly_fen == 100_000  # 10,000.00 × 5% = 500.00, twice
    assert len(acc.account_no) == 12 and acc.account_no.startswith("4403")
    assert acc.id_number_masked is not None and "*" in acc.id_number_masked
    assert service.get_account(session, citizen_id=p.id).account_no == acc.account_no
    with pytest.raises(AccountExists):
        _open(session, p.id, employer)


@pytest.mark.parametrize("bad", [{"base_fen": 251_999}, {"base_fen": 4_426_501}, {"employee_rate_bp": 499},
                                 {"employer_rate_bp": 1201}])
def test_terms_outside_the_rules_are_refused(session: Session, bad: dict[str, int]) -> None:
    p, employer = person(session), make_org(session)
    with pytest.raises(AccountInvalid):
        _open(session, p.id, employer, **bad)
    assert not service.has_account(session, citizen_id=p.id)


def test_status_machine_refuses_every_illegal_change(session: Session) -> None:
    p = person(session)
    acc = make_account(session, p.id, months=0)
    legal = {("normal", "sealed"), ("sealed", "normal")}
    for start in ("normal", "sealed"):
        if service.get_account(session, account_no=acc.account_no).status != start:
            service.set_status(session, account_no=acc.account_no, status=start, actor="test", reason="setup")
        for target in ("normal", "sealed", "closed", ""):
            if (start, target) in legal:
                continue
            with pytest.raises(IllegalStatusChange):
                service.set_status(session, account_no=acc.account_no, status=target, actor="test", reason="try")
            assert service.get_account(session, account_no=acc.account_no).status == start
    new = make_org(session)  # the loop ended sealed: a new employer unseals it
    back = service.set_status(session, account_no=acc.account_no, status="normal", actor="test", reason="new job",
                              employer_name=new.name_zh, employer_uscc=new.uscc)
    assert (back.status, back.employer_uscc) == ("normal", new.uscc)
    sealed = service.set_status(session, account_no=acc.account_no, status="sealed", actor="test", reason="left")
    assert sealed.status == "sealed"


def test_a_months_posting_with_worked_amounts(session: Session) -> None:
    make_centre(session)
    employer = make_org(session)
    a, b = person(session), person(session)
    acc_a = _open(session, a.id, employer, base_fen=876_543, employee_rate_bp=700, employer_rate_bp=1200)
    acc_b = _open(session, b.id, employer)
    month = last_months(1)[0]
    posting = service.post_contributions(session, employer_uscc=employer.uscc, month=month, actor="test", lines=[
        ContributionLineIn(account_no=acc_a.account_no), ContributionLineIn(account_no=acc_b.account_no,
                                                                             base_fen=1_001_000)])
    # a: 8,765.43 × 7% = 613.5801 → 614.00; × 12% = 1,051.8516 → 1,052.00; together 1,666.00
    # b: 10,010.00 × 5% = 500.50 → 501.00 (half goes up), twice: 1,002.00
    assert posting.total_fen == 166_600 + 100_200 and posting.lines == 2 and not posting.replayed
    ca = service.contributions(session, citizen_id=a.id)[0]
    assert (ca.month, ca.employee_fen, ca.employer_fen, ca.total_fen) == (month, 61_400, 105_200, 166_600)
    assert service.get_account(session, citizen_id=a.id).balance_fen == 166_600
    assert service.get_account(session, citizen_id=b.id).balance_fen == 100_200
    pool = ledger.balance(session, service.pool_account_id(session))
    assert pool.debits_posted - pool.credits_posted == 266_800  # every fen came from the pool


def test_posting_is_once_per_employer_and_month(session: Session) -> None:
    employer = make_org(session)
    p = person(session)
    acc = _open(session, p.id, employer)
    month = last_months(1)[0]
    lines = [ContributionLineIn(account_no=acc.account_no)]
    first = service.post_contributions(session, employer_uscc=employer.uscc, month=month, lines=lines, actor="t")
    again = service.post_contributions(session, employer_uscc=employer.uscc, month=month, lines=lines, actor="t")
    assert again.replayed and again.posting_id == first.posting_id
    with pytest.raises(PostingConflict):
        service.post_contributions(session, employer_uscc=employer.uscc, month=month, actor="t",
                                   lines=[ContributionLineIn(account_no=acc.account_no, base_fen=2_000_000)])
    assert service.get_account(session, citizen_id=p.id).balance_fen == 100_000  # once: 500.00 + 500.00


def test_bad_postings_change_nothing(session: Session) -> None:
    employer, other = make_org(session), make_org(session)
    p, q = person(session), person(session)
    acc = _open(session, p.id, employer)
    sealed = _open(session, q.id, employer)
    service.set_status(session, account_no=sealed.account_no, status="sealed", actor="t", reason="left")
    month = last_months(1)[0]
    future = last_months(1, include_current=True)[-1]
    future = f"{int(future[:4]) + 1}{future[4:]}"
    cases = [
        (PostingInvalid, employer.uscc, month, [ContributionLineIn(account_no="000000000000")]),
        (PostingInvalid, employer.uscc, month, [ContributionLineIn(account_no=acc.account_no),
                                                ContributionLineIn(account_no=sealed.account_no)]),
        (PostingInvalid, employer.uscc, month, [ContributionLineIn(account_no=acc.account_no),
                                                ContributionLineIn(account_no=acc.account_no)]),
        (PostingInvalid, employer.uscc, future, [ContributionLineIn(account_no=acc.account_no)]),
        (PostingInvalid, employer.uscc, month, [ContributionLineIn(account_no=acc.account_no, employee_rate_bp=1300)]),
        (NotTheEmployer, other.uscc, month, [ContributionLineIn(account_no=acc.account_no)]),
    ]
    for error, uscc, m, lines in cases:
        with pytest.raises(error):
            service.post_contributions(session, employer_uscc=uscc, month=m, lines=lines, actor="t")
    assert session.scalar(select(func.count()).select_from(HpfPosting)) == 0
    assert session.scalar(select(func.count()).select_from(HpfContribution)) == 0
    assert service.get_account(session, citizen_id=p.id).balance_fen == 0


def test_a_month_contributed_by_one_employer_is_not_contributed_again_by_another(session: Session) -> None:
    first, second = make_org(session), make_org(session)
    p = person(session)
    acc = _open(session, p.id, first)
    month = last_months(1)[0]
    service.post_contributions(session, employer_uscc=first.uscc, month=month, actor="t",
                               lines=[ContributionLineIn(account_no=acc.account_no)])
    service.set_status(session, account_no=acc.account_no, status="sealed", actor="t", reason="left")
    service.set_status(session, account_no=acc.account_no, status="normal", actor="t", reason="new job",
                       employer_name=second.name_zh, employer_uscc=second.uscc)
    with pytest.raises(PostingInvalid) as err:
        service.post_contributions(session, employer_uscc=second.uscc, month=month, actor="t",
                                   lines=[ContributionLineIn(account_no=acc.account_no)])
    assert err.value.extra["errors"] == [{"account_no": acc.account_no, "error": "hpf_month_already_contributed"}]


def test_continuity_and_statement(session: Session) -> None:
    p = person(session)
    acc = make_account(session, p.id, months=24)
    # 24 months × (15,000.00 × 12% × 2 = 3,600.00) = 86,400.00
    assert acc.balance_fen == 8_640_000 and acc.continuous_months == 24
    st = service.statement(session, citizen_id=p.id)
    assert len(st.lines) == 24 and st.lines[-1].balance_after_fen == 8_640_000
    assert [x.month for x in st.lines] == last_months(24)
