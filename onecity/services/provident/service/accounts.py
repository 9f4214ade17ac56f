"""Accounts (公积金账户) and contributions (缴存): the city's fund centre, the pool and the clearing
account, opening, sealing and unsealing, monthly postings once per employer and month, history and
statements. See the package docstring for the glossary and `service/__init__` for the invariants."""

from __future__ import annotations

import hashlib
import json
import secrets
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from onecity import clock, outbox
from onecity.audit import service as audit
from onecity.authz import Principal
from onecity.config import get_settings
from onecity.identity import service as identity
from onecity.identity.orgs import service as orgs
from onecity.ids import new_id
from onecity.ledger import service as ledger
from onecity.ledger.schemas import DEBITS_MUST_NOT_EXCEED_CREDITS, TransferSpec
from onecity.money import yuan
from onecity.services.provident import rules
from onecity.services.provident.errors import (
    AccountExists,
    AccountInvalid,
    AccountNotFound,
    IllegalStatusChange,
    NotTheCentre,
    NotTheEmployer,
    PostingConflict,
    PostingInvalid,
)
from onecity.services.provident.models import (
    HpfAccount,
    HpfCentre,
    HpfContribution,
    HpfPosting,
    HpfWithdrawal,
)
from onecity.services.provident.schemas import (
    AccountIn,
    AccountOut,
    ContributionLineIn,
    ContributionOut,
    PostingOut,
    StatementLine,
    StatementOut,
)

CURRENCY = "CNY"
PAYOUT_CODE = "services.provident"
HOLD_CODE = "services.provident.hold"
CONTRIBUTION_CODE = "services.provident.contribution"
WITHDRAW_ACT = "provident.withdraw"
STATUSES = ("normal", "sealed")
# status change → the status it needs (every other pair is illegal)
STATUS_CHANGES = {("normal", "sealed"): "seal", ("sealed", "normal"): "unseal"}


def _city(city_code: str | None) -> str:
    return city_code or get_settings().city_code


def _actor_id(actor: Principal | str) -> str:
    return actor if isinstance(actor, str) else (actor.id or actor.kind)


# --- the centre and the pool ------------------------------------------------------------------------

def register_centre(session: Session, *, org_id: str, actor: Principal | str, city_code: str | None = None) -> None:
    """Name the agency whose staff run the city's provident fund (idempotent; a new one replaces it)."""
    city = _city(city_code)
    row = session.scalars(select(HpfCentre).where(HpfCentre.city_code == city)).one_or_none()
    if row is not None and row.org_id == org_id:
        return
    if row is None:
        session.add(HpfCentre(city_code=city, org_id=org_id, created_at=clock.now()))
    else:
        row.org_id = org_id
    session.flush()
    audit.record(session, actor=actor, action="services.provident.centre", subject_citizen_id=None,
                 resource=f"services/provident/centre/{city}", reason=f"公积金中心 fund centre {org_id}")


def centre_org_id(session: Session, city_code: str | None = None) -> str | None:
    return session.scalar(select(HpfCentre.org_id).where(HpfCentre.city_code == _city(city_code)))


def is_centre(session: Session, org_id: str | None, city_code: str | None = None) -> bool:
    """Whether the organisation is the city's fund centre (it has the provident console)."""
    return org_id is not None and org_id == centre_org_id(session, city_code)


def is_centre_staff(session: Session, principal: Principal, city_code: str | None = None) -> bool:
    return principal.kind == "staff" and principal.org_id is not None and \
        principal.org_id == centre_org_id(session, city_code)


def require_centre(session: Session, principal: Principal, city_code: str | None = None) -> None:
    if not is_centre_staff(session, principal, city_code):
        raise NotTheCentre()


def pool_account_id(session: Session, city_code: str | None = None) -> str:
    """The city fund's pool (资金池): employers' deposits arrive here and are credited to accounts.
    No flags: it stands for money received from outside the platform."""
    city = _city(city_code)
    return ledger.open_account(session, key=f"services:hpf:pool:{city}:{CURRENCY}", code="services_hpf_pool",
                               owner=f"hpf:{city}", currency=CURRENCY, name="公积金资金池 Provident-fund pool").id


def clearing_account_id(session: Session, city_code: str | None = None) -> str:
    """Where withdrawals waiting for a decision are held (pending transfers only: its posted balance
    stays zero)."""
    city = _city(city_code)
    return ledger.open_account(session, key=f"services:hpf:clearing:{city}:{CURRENCY}", code="services_hpf_clearing",
                               owner=f"hpf:{city}", currency=CURRENCY, name="公积金提取待付 Provident-fund holds").id


def hpf_key(citizen_id: str) -> str:
    return f"services:hpf:{citizen_id}"


# --- accounts ---------------------------------------------------------------------------------------

def _check_terms(city: str, base_fen: int, employee_bp: int, employer_bp: int) -> None:
    d = rules.load(city).deposit
    if not d.min_base_fen <= base_fen <= d.max_base_fen:
        raise AccountInvalid(f"base must be {yuan(d.min_base_fen)}..{yuan(d.max_base_fen)} yuan",
                             min_base_fen=d.min_base_fen, max_base_fen=d.max_base_fen)
    for bp in (employee_bp, employer_bp):
        if not d.min_rate_bp <= bp <= d.max_rate_bp:
            raise AccountInvalid(f"rates must be {d.min_rate_bp}..{d.max_rate_bp} basis points",
                                 min_rate_bp=d.min_rate_bp, max_rate_bp=d.max_rate_bp)


def account_row(session: Session, *, citizen_id: str | None = None, account_no: str | None = None,
                lock: bool = False) -> HpfAccount:
    """The account's row (AccountNotFound), locked when asked — for this package's modules only."""
    q = select(HpfAccount)
    q = q.where(HpfAccount.citizen_id == citizen_id) if citizen_id is not None else \
        q.where(HpfAccount.account_no == account_no)
    if lock:
        q = q.with_for_update()
    row = session.scalars(q).one_or_none()
    if row is None:
        raise AccountNotFound()
    return row


def contributed_months(session: Session, row: HpfAccount) -> set[str]:
    """The months ("YYYY-MM") the account received a contribution for."""
    return set(session.scalars(select(HpfContribution.month).where(HpfContribution.account_row_id == row.id)))


def _out(session: Session, row: HpfAccount) -> AccountOut:
    b = ledger.balance(session, row.ledger_account_id)
    months = contributed_months(session, row)
    who = identity.citizen_summary(session, row.citizen_id)
    return AccountOut(
        account_no=row.account_no, city_code=row.city_code, citizen_id=row.citizen_id, name_masked=who.masked_name,
        id_number_masked=who.masked_id_number, employer_name=row.employer_name, employer_uscc=row.employer_uscc,
        status=row.status,  # type: ignore[arg-type]
        base_fen=row.base_fen, employee_rate_bp=row.employee_rate_bp, employer_rate_bp=row.employer_rate_bp,
        monthly_fen=rules.deposit_part(row.base_fen, row.employee_rate_bp)
        + rules.deposit_part(row.base_fen, row.employer_rate_bp),
        balance_fen=b.posted_balance, held_fen=b.debits_pending, available_fen=b.available_balance,
        continuous_months=rules.continuous_months(months, clock.today_local().date()),
        last_month=max(months) if months else None, opened_at=row.opened_at)


def open_account(session: Session, *, data: AccountIn, actor: Principal | str,
                 city_code: str | None = None) -> AccountOut:
    """Open a citizen's account (the employer registers its new employee with the centre)."""
    city = _city(city_code)
    identity.citizen_summary(session, data.citizen_id)  # CitizenNotFound
    _check_terms(city, data.base_fen, data.employee_rate_bp, data.employer_rate_bp)
    if session.scalar(select(HpfAccount.id).where(HpfAccount.citizen_id == data.citizen_id)) is not None:
        raise AccountExists()
    acc = ledger.open_account(session, key=hpf_key(data.citizen_id), code="services_hpf",
                              owner=f"hpf:{data.citizen_id}", currency=CURRENCY,
                              flags=DEBITS_MUST_NOT_EXCEED_CREDITS, name="住房公积金 Housing provident fund")
    number = None
    while number is None or session.scalar(select(HpfAccount.id).where(HpfAccount.account_no == number)):
        number = f"{city[:4]}{secrets.randbelow(10**8):08d}"
    now = clock.now()
    row = HpfAccount(account_no=number, city_code=city, citizen_id=data.citizen_id, employer_name=data.employer_name,
                     employer_uscc=data.employer_uscc, status="normal", base_fen=data.base_fen,
                     employee_rate_bp=data.employee_rate_bp, employer_rate_bp=data.employer_rate_bp,
                     ledger_account_id=acc.id, opened_at=now, updated_at=now)
    session.add(row)
    session.flush()
    audit.record(session, actor=actor, action="services.provident.account.open", subject_citizen_id=data.citizen_id,
                 resource=f"services/provident/accounts/{number}",
                 reason=f"开立公积金账户，单位 {data.employer_name} / account opened by the employer")
    outbox.emit(session, "services.provident.account_opened", {"account_no": number, "citizen_id": data.citizen_id,
                                                               "employer_uscc": data.employer_uscc})
    return _out(session, row)


def set_status(session: Session, *, account_no: str, status: str, actor: Principal | str, reason: str,
               employer_name: str | None = None, employer_uscc: str | None = None) -> AccountOut:
    """normal → sealed (封存: the employee left) or sealed → normal (启封: a new employer, whose name
    and USCC may come with it). Any other change is IllegalStatusChange (409)."""
    row = account_row(session, account_no=account_no, lock=True)
    action = STATUS_CHANGES.get((row.status, status))
    if action is None:
        raise IllegalStatusChange(f"{row.status} → {status}", status=row.status)
    row.status = status
    if action == "unseal" and employer_name and employer_uscc:
        row.employer_name, row.employer_uscc = employer_name, employer_uscc
    row.updated_at = clock.now()
    audit.record(session, actor=actor, action=f"services.provident.account.{action}",
                 subject_citizen_id=row.citizen_id, resource=f"services/provident/accounts/{account_no}", reason=reason)
    outbox.emit(session, "services.provident.account_status", {"account_no": account_no, "status": status})
    return _out(session, row)


def has_account(session: Session, *, citizen_id: str) -> bool:
    return session.scalar(select(HpfAccount.id).where(HpfAccount.citizen_id == citizen_id)) is not None


def get_account(session: Session, *, citizen_id: str | None = None, account_no: str | None = None) -> AccountOut:
    if citizen_id is None and account_no is None:
        raise AccountNotFound()
    return _out(session, account_row(session, citizen_id=citizen_id, account_no=account_no))


def find_account(session: Session, *, id_number: str) -> AccountOut:
    """The centre's look-up by the citizen's full ID number (shown back masked only)."""
    citizen = identity.get_citizen_by_id_number(session, id_number.strip().upper())
    if citizen is None:
        raise AccountNotFound()
    return get_account(session, citizen_id=citizen.public_id)


def citizen_by_id_number(session: Session, *, id_number: str) -> str:
    """The verified citizen with this ID number (CitizenNotFound otherwise): the centre opens an
    account for the person the employer names by ID number."""
    citizen = identity.get_citizen_by_id_number(session, id_number.strip().upper())
    if citizen is None:
        raise AccountNotFound("no citizen has this ID number")
    return str(citizen.public_id)


def list_accounts(session: Session, *, employer_uscc: str | None = None, limit: int = 50) -> list[AccountOut]:
    q = select(HpfAccount).order_by(HpfAccount.id.desc()).limit(max(1, min(limit, 500)))
    if employer_uscc:
        q = q.where(HpfAccount.employer_uscc == employer_uscc)
    return [_out(session, r) for r in session.scalars(q)]


# --- contributions ----------------------------------------------------------------------------------

def _contribution_out(c: HpfContribution, account_no: str) -> ContributionOut:
    return ContributionOut(account_no=account_no, month=c.month, base_fen=c.base_fen,
                           employee_rate_bp=c.employee_rate_bp, employer_rate_bp=c.employer_rate_bp,
                           employee_fen=c.employee_fen, employer_fen=c.employer_fen,
                           total_fen=c.employee_fen + c.employer_fen, transfer_id=c.transfer_id,
                           created_at=c.created_at)


def _posting_out(p: HpfPosting, replayed: bool = False) -> PostingOut:
    return PostingOut(posting_id=p.public_id, employer_uscc=p.employer_uscc, month=p.month, lines=p.lines,
                      total_fen=p.total_fen, created_at=p.created_at, replayed=replayed)


def _digest(lines: list[ContributionLineIn]) -> str:
    norm = sorted((x.account_no, x.base_fen, x.employee_rate_bp, x.employer_rate_bp) for x in lines)
    return hashlib.sha256(json.dumps(norm, separators=(",", ":")).encode()).hexdigest()


def post_contributions(session: Session, *, employer_uscc: str, month: str, lines: list[ContributionLineIn],
                       actor: Principal | str, city_code: str | None = None) -> PostingOut:
    """Post an employer's contributions for `month` (汇缴): for each line, employee and employer
    parts at the line's (or the account's) base and rates, rounded half-up to yuan, moved from the
    pool to the account in one transfer group. Once per employer and month: the same lines again
    return the first posting (replayed); different lines raise PostingConflict. Every account must
    be the employer's, in normal status, not yet contributed for that month; nothing is posted
    unless every line is good (PostingInvalid lists the bad ones)."""
    city = _city(city_code)
    if not lines:
        raise PostingInvalid("no lines")
    digest = _digest(lines)
    existing = session.scalars(select(HpfPosting).where(HpfPosting.employer_uscc == employer_uscc,
                                                        HpfPosting.month == month)).one_or_none()
    if existing is not None:
        if existing.digest != digest:
            raise PostingConflict(posting_id=existing.public_id)
        return _posting_out(existing, replayed=True)
    if month > rules.month_key(clock.today_local().date()):
        raise PostingInvalid(f"{month} has not begun")
    if len({x.account_no for x in lines}) != len(lines):
        raise PostingInvalid("an account appears twice")
    accounts = {a.account_no: a for a in session.scalars(
        select(HpfAccount).where(HpfAccount.account_no.in_([x.account_no for x in lines])))}
    errors: list[dict[str, str]] = []
    for x in lines:
        a = accounts.get(x.account_no)
        if a is None:
            errors.append({"account_no": x.account_no, "error": "hpf_account_not_found"})
        elif a.employer_uscc != employer_uscc:
            raise NotTheEmployer(x.account_no)
        elif a.status != "normal":
            errors.append({"account_no": x.account_no, "error": "hpf_account_sealed"})
    done = set(session.scalars(select(HpfContribution.account_row_id).where(
        HpfContribution.month == month, HpfContribution.account_row_id.in_([a.id for a in accounts.values()]))))
    errors += [{"account_no": a.account_no, "error": "hpf_month_already_contributed"}
               for a in accounts.values() if a.id in done]
    planned: list[tuple[HpfAccount, int, int, int, int, int]] = []
    if not errors:
        for x in lines:
            a = accounts[x.account_no]
            base = x.base_fen if x.base_fen is not None else a.base_fen
            ee = x.employee_rate_bp if x.employee_rate_bp is not None else a.employee_rate_bp
            er = x.employer_rate_bp if x.employer_rate_bp is not None else a.employer_rate_bp
            try:
                _check_terms(city, base, ee, er)
            except AccountInvalid as exc:
                errors.append({"account_no": x.account_no, "error": exc.code})
                continue
            planned.append((a, base, ee, er, rules.deposit_part(base, ee), rules.deposit_part(base, er)))
    if errors:
        raise PostingInvalid(f"{len(errors)} bad line(s)", errors=errors)
    now = clock.now()
    posting = HpfPosting(public_id=new_id("hpp"), city_code=city, employer_uscc=employer_uscc, month=month,
                         lines=len(planned), total_fen=sum(p[4] + p[5] for p in planned), digest=digest,
                         posted_by=_actor_id(actor), created_at=now)
    try:
        with session.begin_nested():
            session.add(posting)
            session.flush()
    except IntegrityError:  # the same employer and month posted at this very moment
        return post_contributions(session, employer_uscc=employer_uscc, month=month, lines=lines, actor=actor,
                                  city_code=city_code)
    pool = pool_account_id(session, city)
    specs = []
    for a, base, ee, er, ee_fen, er_fen in planned:
        tid = f"hpf.c.{a.account_no}.{month}"
        session.add(HpfContribution(account_row_id=a.id, posting_row_id=posting.id, month=month, base_fen=base,
                                    employee_rate_bp=ee, employer_rate_bp=er, employee_fen=ee_fen,
                                    employer_fen=er_fen, transfer_id=tid, created_at=now))
        if ee_fen + er_fen:
            specs.append(TransferSpec(transfer_id=tid, debit=pool, credit=a.ledger_account_id,
                                      amount=ee_fen + er_fen, code=CONTRIBUTION_CODE, ref=posting.public_id))
    session.flush()
    ledger.transfer_group(session, specs)
    audit.record(session, actor=actor, action="services.provident.contributions.post", subject_citizen_id=None,
                 resource=f"services/provident/postings/{posting.public_id}",
                 reason=f"{month} 汇缴 {len(planned)} 人 {yuan(posting.total_fen)} 元 / monthly contributions")
    outbox.emit(session, "services.provident.contributions_posted",
                {"posting_id": posting.public_id, "employer_uscc": employer_uscc, "month": month,
                 "lines": len(planned), "total_fen": posting.total_fen})
    return _posting_out(posting)


def employer_post(session: Session, *, org_id: str, month: str, lines: list[ContributionLineIn],
                  actor: Principal | str) -> PostingOut:
    """`post_contributions` by an employer's signed request: for the organisation's own USCC."""
    return post_contributions(session, employer_uscc=orgs.get_org(session, org_id).uscc, month=month, lines=lines,
                              actor=actor)


def employer_accounts(session: Session, *, org_id: str) -> list[AccountOut]:
    return list_accounts(session, employer_uscc=orgs.get_org(session, org_id).uscc, limit=500)


def contributions(session: Session, *, citizen_id: str | None = None, account_no: str | None = None,
                  limit: int = 120) -> list[ContributionOut]:
    """The account's contribution history, newest month first."""
    row = account_row(session, citizen_id=citizen_id, account_no=account_no)
    q = (select(HpfContribution).where(HpfContribution.account_row_id == row.id)
         .order_by(HpfContribution.month.desc()).limit(max(1, min(limit, 600))))
    return [_contribution_out(c, row.account_no) for c in session.scalars(q)]


def recent_postings(session: Session, *, employer_uscc: str | None = None, limit: int = 20) -> list[PostingOut]:
    q = select(HpfPosting).order_by(HpfPosting.id.desc()).limit(max(1, min(limit, 200)))
    if employer_uscc:
        q = q.where(HpfPosting.employer_uscc == employer_uscc)
    return [_posting_out(p) for p in session.scalars(q)]


def statement(session: Session, *, citizen_id: str, limit: int = 200) -> StatementOut:
    """Every contribution and paid withdrawal in time order, with the balance after each (oldest
    first, the last `limit` lines)."""
    row = account_row(session, citizen_id=citizen_id)
    moves: list[tuple[datetime, int, StatementLine]] = []
    for c in session.scalars(select(HpfContribution).where(HpfContribution.account_row_id == row.id)):
        moves.append((c.created_at, c.id, StatementLine(at=c.created_at, kind="contribution", month=c.month,
                                                        amount_fen=c.employee_fen + c.employer_fen,
                                                        ref=c.transfer_id, balance_after_fen=0)))
    for w in session.scalars(select(HpfWithdrawal).where(HpfWithdrawal.account_row_id == row.id,
                                                         HpfWithdrawal.status == "paid")):
        at = w.decided_at or w.created_at
        moves.append((at, 10**12 + w.id, StatementLine(at=at, kind="withdrawal", month=None,
                                                       amount_fen=-w.amount_fen, ref=w.public_id,
                                                       balance_after_fen=0)))
    moves.sort(key=lambda m: (m[0], m[1]))
    running = 0
    lines = []
    for _, _, line in moves:
        running += line.amount_fen
        lines.append(line.model_copy(update={"balance_after_fen": running}))
    return StatementOut(account=_out(session, row), lines=lines[-limit:])
