"""The commercial insurance service (商业健康险): insurers' products and policies, and the claims a
settlement records against them.

Rules kept here:
- A product row is one immutable version. `revise_product` publishes version n+1 and marks version n
  superseded (no new policies on it); policies issued on version n keep its terms for their life.
- A policy covers its citizen from `start` to `end` (city dates, both included) while active.
- Each insurer has one city-side payable ledger account (code `insurer`, key `insurer:<org>:CNY`,
  opened on first use, no overdraft flag: it goes negative as claims are paid = what the insurer
  owes the city). The settlement's transfer group debits it; this module only names it.
- Per policy and year, the accumulators (deductible used, paid against the annual limit) change only
  under a row lock, forward by `record_claim` and back by `reverse_claim`, and only if the cover or
  the reversal was computed from the figures now stored (else AccumulatorsMoved: compute again).
- One claim per policy and settlement; recording the same claim again returns it (a retried
  settlement), a different one is ClaimConflict.

Glossary: 商业保险 commercial insurance · 保险公司 insurer · 产品 product · 保单 policy ·
免赔额 deductible · 年度限额 annual limit · 赔付比例 ratio · 除外责任 exclusions · 理赔 claim ·
医保目录外 outside policy (自费) · 累计 accumulators.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from onecity import clock, outbox
from onecity.audit import service as audit
from onecity.authz import Principal
from onecity.db import is_postgres
from onecity.errors import InvalidInput
from onecity.identity import service as identity
from onecity.identity.orgs import service as orgs
from onecity.ids import new_id
from onecity.ledger import service as ledger
from onecity.ledger.schemas import HOT
from onecity.medinsure import rules
from onecity.medinsure.commercial.errors import (
    AccumulatorsMoved,
    ClaimConflict,
    ClaimInvalid,
    ClaimNotFound,
    NotAnInsurer,
    PolicyConflict,
    PolicyInvalid,
    PolicyNotFound,
    PolicyStateInvalid,
    ProductExists,
    ProductInvalid,
    ProductNotFound,
    ProductSuperseded,
    ReversalExceedsClaim,
)
from onecity.medinsure.commercial.models import (
    CommercialAccumulator,
    CommercialClaim,
    CommercialClaimReversal,
    CommercialInsurer,
    CommercialPolicy,
    CommercialProduct,
)
from onecity.medinsure.commercial.schemas import (
    PAYER_PREFIX,
    ActiveCover,
    ClaimOut,
    DailyTotalOut,
    PolicyOut,
    ProductOut,
    YearToDate,
)

CURRENCY = "CNY"
ACCOUNT_CODE = "insurer"
MAX_LIMIT_FEN = 100_000_000_00  # 1 亿元: far above any real product
MAX_POLICY_YEARS = 3
MAX_PAGE = 200
_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$")
_CATALOGUE_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$")


# --- insurers ------------------------------------------------------------------------------------

def _insurer_org(session: Session, insurer_org_id: str) -> orgs.Org:
    """The insurer organisation; NotAnInsurer (404) for any other kind (checked once per transaction)."""
    known: set[str] = session.info.setdefault("medinsure.commercial.insurers", set())
    org = orgs.get_org(session, insurer_org_id)  # OrgNotFound (404)
    if org.kind != "insurer":
        raise NotAnInsurer()
    known.add(insurer_org_id)
    return org


def _require_insurer(session: Session, insurer_org_id: str | None) -> None:
    if insurer_org_id is not None and insurer_org_id not in session.info.get("medinsure.commercial.insurers", ()):
        _insurer_org(session, insurer_org_id)


def insurer_account_key(insurer_org_id: str) -> str:
    return f"insurer:{insurer_org_id}:{CURRENCY}"


def insurer_account_id(session: Session, insurer_org_id: str) -> str:
    """The insurer's city-side payable ledger account, opened (idempotently) on first use."""
    row = session.scalars(select(CommercialInsurer)
                          .where(CommercialInsurer.insurer_org_id == insurer_org_id)).one_or_none()
    if row is None:
        _insurer_org(session, insurer_org_id)
        account = ledger.open_account(session, key=insurer_account_key(insurer_org_id), code=ACCOUNT_CODE,
                                      owner=insurer_org_id, currency=CURRENCY, flags=HOT,
                                      name=f"insurer payable {insurer_org_id}")
        insert = pg_insert if is_postgres(session) else sqlite_insert
        session.execute(insert(CommercialInsurer).values(
            insurer_org_id=insurer_org_id, ledger_account_id=account.id, created_at=clock.now(),
        ).on_conflict_do_nothing(index_elements=["insurer_org_id"]))
        row = session.scalars(select(CommercialInsurer)
                              .where(CommercialInsurer.insurer_org_id == insurer_org_id)).one()
    return row.ledger_account_id


# --- products ------------------------------------------------------------------------------------

def _check_terms(*, ratio_bp: int, deductible_fen: int, annual_limit_fen: int, excluded_codes: Iterable[str],
                 excluded_categories: Iterable[str], visit_types: Iterable[str]) -> tuple[list[str], list[str], list[str]]:
    """The product's terms, normalised (sorted, deduplicated); ProductInvalid says what is wrong."""
    def _int(name: str, value: object) -> int:
        if not isinstance(value, int) or isinstance(value, bool):
            raise ProductInvalid(f"{name} must be an integer")
        return value

    if not 1 <= _int("ratio_bp", ratio_bp) <= 10_000:
        raise ProductInvalid("ratio_bp must be between 1 and 10000 (0.01 % .. 100 %)", field="ratio_bp")
    if not 0 <= _int("deductible_fen", deductible_fen) <= MAX_LIMIT_FEN:
        raise ProductInvalid("deductible_fen must be between 0 and 10000000000", field="deductible_fen")
    if not 1 <= _int("annual_limit_fen", annual_limit_fen) <= MAX_LIMIT_FEN:
        raise ProductInvalid("annual_limit_fen must be between 1 and 10000000000", field="annual_limit_fen")
    codes = sorted(set(excluded_codes))
    bad = [c for c in codes if not isinstance(c, str) or not _CATALOGUE_CODE.match(c)]
    if bad:
        raise ProductInvalid(f"excluded catalogue codes are not valid: {bad[:5]}", field="excluded_codes")
    categories = sorted(set(excluded_categories))
    unknown = [c for c in categories if c not in rules.CATEGORIES]
    if unknown:
        raise ProductInvalid(f"unknown catalogue categories {unknown}; known: {list(rules.CATEGORIES)}",
                             field="excluded_categories")
    if len(categories) == len(rules.CATEGORIES):
        raise ProductInvalid("a product cannot exclude every category", field="excluded_categories")
    types = sorted(set(visit_types))
    if not types:
        raise ProductInvalid("a product covers at least one visit type", field="visit_types")
    unknown = [v for v in types if v not in rules.VISIT_TYPES]
    if unknown:
        raise ProductInvalid(f"unknown visit types {unknown}; known: {list(rules.VISIT_TYPES)}", field="visit_types")
    return codes, categories, types


def _product_out(p: CommercialProduct) -> ProductOut:
    return ProductOut(product_id=p.product_id, insurer_org_id=p.insurer_org_id, code=p.code, version=p.version,
                      name_zh=p.name_zh, name_en=p.name_en, ratio_bp=p.ratio_bp, deductible_fen=p.deductible_fen,
                      annual_limit_fen=p.annual_limit_fen, covers_outside=p.covers_outside,
                      excluded_codes=list(p.excluded_codes), excluded_categories=list(p.excluded_categories),
                      visit_types=list(p.visit_types), status=p.status, created_at=p.created_at)


def rules_product(p: CommercialProduct | ProductOut) -> rules.CommercialProduct:
    """The product as the rules engine reads it."""
    return rules.CommercialProduct(
        product_id=p.product_id, ratio_bp=p.ratio_bp, deductible_fen=p.deductible_fen,
        annual_limit_fen=p.annual_limit_fen, covers_outside=p.covers_outside,
        excluded_codes=frozenset(p.excluded_codes), excluded_categories=frozenset(p.excluded_categories),
        visit_types=frozenset(p.visit_types))


def _add_product(session: Session, *, insurer_org_id: str, code: str, version: int, name_zh: str, name_en: str,
                 ratio_bp: int, deductible_fen: int, annual_limit_fen: int, covers_outside: bool,
                 excluded_codes: Iterable[str], excluded_categories: Iterable[str],
                 visit_types: Iterable[str]) -> CommercialProduct:
    codes, categories, types = _check_terms(ratio_bp=ratio_bp, deductible_fen=deductible_fen,
                                            annual_limit_fen=annual_limit_fen, excluded_codes=excluded_codes,
                                            excluded_categories=excluded_categories, visit_types=visit_types)
    if not name_zh.strip() or not name_en.strip():
        raise ProductInvalid("the product needs a Chinese and an English name", field="name_zh")
    row = CommercialProduct(
        product_id=new_id("mcp"), insurer_org_id=insurer_org_id, code=code, version=version,
        name_zh=name_zh.strip(), name_en=name_en.strip(), ratio_bp=ratio_bp, deductible_fen=deductible_fen,
        annual_limit_fen=annual_limit_fen, covers_outside=bool(covers_outside), excluded_codes=codes,
        excluded_categories=categories, visit_types=types, status="active", created_at=clock.now())
    session.add(row)
    session.flush()
    return row


def define_product(session: Session, *, insurer_org_id: str, code: str, name_zh: str, name_en: str,
                   ratio_bp: int, deductible_fen: int, annual_limit_fen: int, covers_outside: bool = False,
                   excluded_codes: Sequence[str] = (), excluded_categories: Sequence[str] = (),
                   visit_types: Sequence[str] = rules.VISIT_TYPES,
                   actor: Principal | str = "system") -> ProductOut:
    """Version 1 of a new product. ProductExists if the insurer already uses `code`: terms change
    only through `revise_product`, which keeps the policies on the old version untouched."""
    _insurer_org(session, insurer_org_id)
    if not _CODE.match(code or ""):
        raise ProductInvalid("code must be 1..40 letters, digits, '.', '_' or '-'", field="code")
    taken = session.scalar(select(func.count()).select_from(CommercialProduct).where(
        CommercialProduct.insurer_org_id == insurer_org_id, CommercialProduct.code == code))
    if taken:
        raise ProductExists()
    row = _add_product(session, insurer_org_id=insurer_org_id, code=code, version=1, name_zh=name_zh,
                       name_en=name_en, ratio_bp=ratio_bp, deductible_fen=deductible_fen,
                       annual_limit_fen=annual_limit_fen, covers_outside=covers_outside,
                       excluded_codes=excluded_codes, excluded_categories=excluded_categories,
                       visit_types=visit_types)
    insurer_account_id(session, insurer_org_id)
    out = _product_out(row)
    outbox.emit(session, "medinsure.commercial.product_defined",
                {"product_id": row.product_id, "insurer_org_id": insurer_org_id, "code": code, "version": 1})
    return out


def _product_row(session: Session, *, product_id: str, insurer_org_id: str | None,
                 for_update: bool = False) -> CommercialProduct:
    q = select(CommercialProduct).where(CommercialProduct.product_id == product_id)
    if for_update:
        q = q.with_for_update()
    row = session.scalars(q).one_or_none()
    if row is None or (insurer_org_id is not None and row.insurer_org_id != insurer_org_id):
        raise ProductNotFound()
    return row


def revise_product(session: Session, *, insurer_org_id: str, product_id: str, name_zh: str, name_en: str,
                   ratio_bp: int, deductible_fen: int, annual_limit_fen: int, covers_outside: bool = False,
                   excluded_codes: Sequence[str] = (), excluded_categories: Sequence[str] = (),
                   visit_types: Sequence[str] = rules.VISIT_TYPES,
                   actor: Principal | str = "system") -> ProductOut:
    """Publish the next version of an active product with new terms; the old version is superseded
    (its policies keep it, new policies take the new one)."""
    _require_insurer(session, insurer_org_id)
    old = _product_row(session, product_id=product_id, insurer_org_id=insurer_org_id, for_update=True)
    if old.status != "active":
        raise ProductSuperseded()
    row = _add_product(session, insurer_org_id=insurer_org_id, code=old.code, version=old.version + 1,
                       name_zh=name_zh, name_en=name_en, ratio_bp=ratio_bp, deductible_fen=deductible_fen,
                       annual_limit_fen=annual_limit_fen, covers_outside=covers_outside,
                       excluded_codes=excluded_codes, excluded_categories=excluded_categories,
                       visit_types=visit_types)
    old.status = "superseded"
    outbox.emit(session, "medinsure.commercial.product_revised",
                {"product_id": row.product_id, "supersedes": old.product_id, "insurer_org_id": insurer_org_id,
                 "code": row.code, "version": row.version})
    return _product_out(row)


def get_product(session: Session, *, product_id: str, insurer_org_id: str | None = None) -> ProductOut:
    _require_insurer(session, insurer_org_id)
    return _product_out(_product_row(session, product_id=product_id, insurer_org_id=insurer_org_id))


def list_products(session: Session, *, insurer_org_id: str, include_superseded: bool = False) -> list[ProductOut]:
    _require_insurer(session, insurer_org_id)
    q = select(CommercialProduct).where(CommercialProduct.insurer_org_id == insurer_org_id)
    if not include_superseded:
        q = q.where(CommercialProduct.status == "active")
    return [_product_out(p) for p in session.scalars(q.order_by(CommercialProduct.code, CommercialProduct.version))]


# --- policies ------------------------------------------------------------------------------------

def _acc_row(session: Session, policy_row_id: int, year: int, *, lock: bool) -> CommercialAccumulator | None:
    q = select(CommercialAccumulator).where(CommercialAccumulator.policy_row_id == policy_row_id,
                                           CommercialAccumulator.year == year)
    if lock:
        q = q.with_for_update()
    return session.scalars(q).one_or_none()


def _locked_acc(session: Session, policy_row_id: int, year: int) -> CommercialAccumulator:
    """The accumulator row of (policy, year), made at zero if absent, locked until the transaction ends."""
    row = _acc_row(session, policy_row_id, year, lock=True)
    if row is not None:
        return row
    insert = pg_insert if is_postgres(session) else sqlite_insert
    session.execute(insert(CommercialAccumulator).values(
        policy_row_id=policy_row_id, year=year, deductible_used_fen=0, paid_fen=0, updated_at=clock.now(),
    ).on_conflict_do_nothing(index_elements=["policy_row_id", "year"]))
    row = _acc_row(session, policy_row_id, year, lock=True)
    assert row is not None
    return row


def _ytd(session: Session, policy: CommercialPolicy, product: CommercialProduct, year: int) -> YearToDate:
    acc = _acc_row(session, policy.id, year, lock=False)
    used, paid = (acc.deductible_used_fen, acc.paid_fen) if acc is not None else (0, 0)
    return YearToDate(year=year, deductible_used_fen=used, paid_fen=paid,
                      limit_left_fen=max(product.annual_limit_fen - paid, 0))


def _policy_out(session: Session, policy: CommercialPolicy, product: CommercialProduct,
                insurer_name: str | None = None, with_ytd: bool = False) -> PolicyOut:
    return PolicyOut(policy_id=policy.policy_id, policy_no=policy.policy_no, insurer_org_id=policy.insurer_org_id,
                     insurer_name=insurer_name, citizen_id=policy.citizen_id, product=_product_out(product),
                     start=policy.start_on, end=policy.end_on, status=policy.status, created_at=policy.created_at,
                     cancelled_at=policy.cancelled_at,
                     this_year=_ytd(session, policy, product, clock.today_local().year) if with_ytd else None)


def _years_after(start: date, years: int) -> date:
    """The same day `years` later (29 February → 1 March)."""
    try:
        return start.replace(year=start.year + years)
    except ValueError:
        return date(start.year + years, 3, 1)


def issue_policy(session: Session, *, insurer_org_id: str, citizen_id: str, product_id: str, start: date,
                 end: date, policy_no: str | None = None, actor: Principal | str = "system") -> PolicyOut:
    """Issue a policy on the product's current version. The same `policy_no` with the same terms
    returns the existing policy; with different terms, PolicyConflict."""
    _insurer_org(session, insurer_org_id)
    product = _product_row(session, product_id=product_id, insurer_org_id=insurer_org_id)
    if not isinstance(start, date) or not isinstance(end, date):
        raise PolicyInvalid("start and end must be dates")
    if policy_no is not None:
        existing = session.scalars(select(CommercialPolicy).where(
            CommercialPolicy.insurer_org_id == insurer_org_id, CommercialPolicy.policy_no == policy_no)).one_or_none()
        if existing is not None:
            if (existing.citizen_id, existing.product_row_id, existing.start_on, existing.end_on) != (
                    citizen_id, product.id, start, end):
                raise PolicyConflict()
            return _policy_out(session, existing, product)
    if product.status != "active":
        raise ProductSuperseded()
    if end < start:
        raise PolicyInvalid("the policy ends before it starts", field="end")
    if end >= _years_after(start, MAX_POLICY_YEARS):
        raise PolicyInvalid("a policy runs at most three years", field="end")
    if end < clock.today_local().date():
        raise PolicyInvalid("the policy would already have ended", field="end")
    identity.citizen_summary(session, citizen_id)  # CitizenNotFound (404) for an unknown citizen
    row = CommercialPolicy(policy_id=new_id("mpol"), insurer_org_id=insurer_org_id,
                           policy_no=policy_no or new_id("no"), product_row_id=product.id, citizen_id=citizen_id,
                           start_on=start, end_on=end, status="active", created_at=clock.now())
    session.add(row)
    session.flush()
    audit.record(session, actor=actor, action="medinsure.commercial.policy.issue", subject_citizen_id=citizen_id,
                 resource=f"medinsure/commercial/policy/{row.policy_id}",
                 reason=f"保险公司出具商业健康险保单 {row.policy_no} (insurer issued a health policy)")
    outbox.emit(session, "medinsure.commercial.policy_issued",
                {"policy_id": row.policy_id, "insurer_org_id": insurer_org_id, "citizen_id": citizen_id,
                 "product_id": product.product_id, "start": start.isoformat(), "end": end.isoformat()})
    return _policy_out(session, row, product)


def _policy_row(session: Session, *, policy_id: str, insurer_org_id: str | None = None,
                citizen_id: str | None = None) -> CommercialPolicy:
    row = session.scalars(select(CommercialPolicy).where(CommercialPolicy.policy_id == policy_id)).one_or_none()
    if row is None or (insurer_org_id is not None and row.insurer_org_id != insurer_org_id) or (
            citizen_id is not None and row.citizen_id != citizen_id):
        raise PolicyNotFound()
    return row


def cancel_policy(session: Session, *, insurer_org_id: str, policy_id: str, reason: str,
                  actor: Principal | str = "system") -> PolicyOut:
    """Cancel an active policy: it pays no new settlement; claims already paid stay as they are."""
    _require_insurer(session, insurer_org_id)
    row = _policy_row(session, policy_id=policy_id, insurer_org_id=insurer_org_id)
    if row.status != "active":
        raise PolicyStateInvalid()
    if not reason or not reason.strip():
        raise InvalidInput("a reason is required")
    row.status = "cancelled"
    row.cancelled_at = clock.now()
    audit.record(session, actor=actor, action="medinsure.commercial.policy.cancel", subject_citizen_id=row.citizen_id,
                 resource=f"medinsure/commercial/policy/{row.policy_id}", reason=reason.strip()[:2000])
    outbox.emit(session, "medinsure.commercial.policy_cancelled",
                {"policy_id": row.policy_id, "insurer_org_id": insurer_org_id, "citizen_id": row.citizen_id})
    product = session.get(CommercialProduct, row.product_row_id)
    assert product is not None
    return _policy_out(session, row, product)


def get_policy(session: Session, *, policy_id: str, insurer_org_id: str | None = None,
               citizen_id: str | None = None) -> PolicyOut:
    _require_insurer(session, insurer_org_id)
    row = _policy_row(session, policy_id=policy_id, insurer_org_id=insurer_org_id, citizen_id=citizen_id)
    product = session.get(CommercialProduct, row.product_row_id)
    assert product is not None
    names = orgs.org_names(session, {row.insurer_org_id})
    return _policy_out(session, row, product, names.get(row.insurer_org_id), with_ytd=True)


def list_policies(session: Session, *, insurer_org_id: str, citizen_id: str | None = None, after: str | None = None,
                  limit: int = 50) -> tuple[list[PolicyOut], str | None]:
    """The insurer's policies, newest first, by cursor (`after` = the last policy id of a page)."""
    _require_insurer(session, insurer_org_id)
    limit = max(1, min(limit, MAX_PAGE))
    q = (select(CommercialPolicy, CommercialProduct)
         .join(CommercialProduct, CommercialProduct.id == CommercialPolicy.product_row_id)
         .where(CommercialPolicy.insurer_org_id == insurer_org_id))
    if citizen_id is not None:
        q = q.where(CommercialPolicy.citizen_id == citizen_id)
    if after:
        q = q.where(CommercialPolicy.id < _policy_row(session, policy_id=after, insurer_org_id=insurer_org_id).id)
    rows = session.execute(q.order_by(CommercialPolicy.id.desc()).limit(limit + 1)).all()
    items = [_policy_out(session, pol, prod) for pol, prod in rows[:limit]]
    return items, (items[-1].policy_id if len(rows) > limit else None)


def policies_of_citizen(session: Session, *, citizen_id: str) -> list[PolicyOut]:
    """The citizen's own policies (active first, then by start), with this year's figures."""
    rows = session.execute(
        select(CommercialPolicy, CommercialProduct)
        .join(CommercialProduct, CommercialProduct.id == CommercialPolicy.product_row_id)
        .where(CommercialPolicy.citizen_id == citizen_id)
        .order_by(CommercialPolicy.status, CommercialPolicy.start_on.desc(), CommercialPolicy.id.desc())).all()
    names = orgs.org_names(session, {pol.insurer_org_id for pol, _ in rows})
    return [_policy_out(session, pol, prod, names.get(pol.insurer_org_id), with_ytd=True) for pol, prod in rows]


# --- settlement: covers, claims, reversals -------------------------------------------------------

def covers_for(session: Session, *, citizen_id: str, on: date, year: int | None = None,
               for_update: bool = False) -> list[ActiveCover]:
    """The citizen's policies in force on `on`, oldest first, each with its product and the year's
    accumulators. With `for_update` (at settlement) the accumulator rows are locked until the
    transaction ends, so a concurrent settlement of the same citizen waits instead of computing on
    figures about to change."""
    year = on.year if year is None else year
    rows = session.execute(
        select(CommercialPolicy, CommercialProduct)
        .join(CommercialProduct, CommercialProduct.id == CommercialPolicy.product_row_id)
        .where(CommercialPolicy.citizen_id == citizen_id, CommercialPolicy.status == "active",
               CommercialPolicy.start_on <= on, CommercialPolicy.end_on >= on)
        .order_by(CommercialPolicy.id)).all()
    covers = []
    for pol, prod in rows:
        acc = _locked_acc(session, pol.id, year) if for_update else _acc_row(session, pol.id, year, lock=False)
        used, paid = (acc.deductible_used_fen, acc.paid_fen) if acc is not None else (0, 0)
        covers.append(ActiveCover(
            payer=PAYER_PREFIX + pol.policy_id, policy_id=pol.policy_id, insurer_org_id=pol.insurer_org_id,
            product=rules_product(prod),
            acc=rules.CommercialAccumulators(year=year, deductible_used_fen=used, paid_fen=paid),
            ledger_account_id=insurer_account_id(session, pol.insurer_org_id)))
    return covers


def _policy_of_payer(session: Session, payer: str) -> CommercialPolicy:
    if not isinstance(payer, str) or not payer.startswith(PAYER_PREFIX):
        raise ClaimInvalid(f"payer {payer!r} is not a commercial policy (commercial:<policy id>)")
    return _policy_row(session, policy_id=payer[len(PAYER_PREFIX):])


def accumulators_of(session: Session, *, payer: str, year: int, for_update: bool = True) -> rules.CommercialAccumulators:
    """A policy's figures for `year` (zero if nothing was claimed), locked by default: what a refund
    passes to `rules.reverse` before calling `reverse_claim`."""
    pol = _policy_of_payer(session, payer)
    acc = _locked_acc(session, pol.id, year) if for_update else _acc_row(session, pol.id, year, lock=False)
    used, paid = (acc.deductible_used_fen, acc.paid_fen) if acc is not None else (0, 0)
    return rules.CommercialAccumulators(year=year, deductible_used_fen=used, paid_fen=paid)


def _claim_out(c: CommercialClaim, policy_id: str, replayed: bool = False) -> ClaimOut:
    return ClaimOut(claim_id=c.claim_id, policy_id=policy_id, insurer_org_id=c.insurer_org_id,
                    citizen_id=c.citizen_id, settlement_ref=c.settlement_ref, year=c.year, day=c.day,
                    paid_fen=c.paid_fen, deductible_fen=c.deductible_fen, refunded_fen=c.refunded_fen,
                    per_line={str(k): list(v) for k, v in c.per_line.items()}, status=c.status,
                    created_at=c.created_at, replayed=replayed)


def _fen(value: object, what: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ClaimInvalid(f"{what} must be a non-negative integer number of fen")
    return value


def _check_ref(settlement_ref: str) -> None:
    if not isinstance(settlement_ref, str) or not 1 <= len(settlement_ref) <= 64:
        raise ClaimInvalid("settlement_ref must be 1..64 characters")


def record_claim(session: Session, *, payer: str, settlement_ref: str, cover: rules.CommercialCover) -> ClaimOut:
    """Record what the policy pays in a settlement and move its accumulators forward, under the
    accumulator row's lock. The cover must have been computed from the stored figures
    (stored + this claim == cover.accumulators_after), else AccumulatorsMoved and nothing changed."""
    _check_ref(settlement_ref)
    pol = _policy_of_payer(session, payer)
    product = session.get(CommercialProduct, pol.product_row_id)
    assert product is not None
    if cover.product_id != product.product_id:
        raise ClaimInvalid(f"the cover is for product {cover.product_id}, the policy is on {product.product_id}")
    per_line: dict[str, list[int]] = {}
    for line_no, (ded, paid) in sorted(cover.per_line.items()):
        per_line[str(line_no)] = [_fen(ded, "a line's deductible"), _fen(paid, "a line's payment")]
    deductible = sum(d for d, _ in per_line.values())
    total = _fen(cover.total_fen, "total_fen")
    if total != sum(p for _, p in per_line.values()):
        raise ClaimInvalid(f"total_fen {total} is not the sum of the lines' payments")
    after = cover.accumulators_after
    existing = session.scalars(select(CommercialClaim).where(
        CommercialClaim.policy_row_id == pol.id, CommercialClaim.settlement_ref == settlement_ref)).one_or_none()
    if existing is not None:
        if (existing.paid_fen, existing.deductible_fen, existing.per_line, existing.year) != (
                total, deductible, per_line, after.year):
            raise ClaimConflict()
        return _claim_out(existing, pol.policy_id, replayed=True)
    acc = _locked_acc(session, pol.id, after.year)
    expected = (acc.deductible_used_fen + deductible, acc.paid_fen + total)
    if expected != (after.deductible_used_fen, after.paid_fen):
        raise AccumulatorsMoved(
            f"stored {acc.deductible_used_fen}/{acc.paid_fen} + claim {deductible}/{total} != cover's "
            f"{after.deductible_used_fen}/{after.paid_fen} (deductible used/paid)")
    if expected[0] > product.deductible_fen:
        raise ClaimInvalid(f"the deductible used would be {expected[0]}, above the product's {product.deductible_fen}")
    if expected[1] > product.annual_limit_fen:
        raise ClaimInvalid(f"the year's payments would be {expected[1]}, above the limit {product.annual_limit_fen}")
    now = clock.now()
    acc.deductible_used_fen, acc.paid_fen = expected
    acc.updated_at = now
    claim = CommercialClaim(claim_id=new_id("mclm"), policy_row_id=pol.id, insurer_org_id=pol.insurer_org_id,
                            citizen_id=pol.citizen_id, settlement_ref=settlement_ref, year=after.year,
                            day=clock.today_local().date(), paid_fen=total, deductible_fen=deductible,
                            per_line=per_line, deductible_used_after_fen=expected[0], paid_after_fen=expected[1],
                            refunded_fen=0, deductible_returned_fen=0, status="paid",
                            created_at=now, updated_at=now)
    session.add(claim)
    session.flush()
    outbox.emit(session, "medinsure.commercial.claim_recorded",
                {"claim_id": claim.claim_id, "policy_id": pol.policy_id, "insurer_org_id": pol.insurer_org_id,
                 "settlement_ref": settlement_ref, "paid_fen": total, "deductible_fen": deductible,
                 "year": after.year})
    return _claim_out(claim, pol.policy_id)


def recorded_cover(session: Session, *, payer: str, settlement_ref: str) -> rules.CommercialCover:
    """The cover as recorded at settlement (what `rules.reverse` takes back line by line)."""
    pol = _policy_of_payer(session, payer)
    claim = session.scalars(select(CommercialClaim).where(
        CommercialClaim.policy_row_id == pol.id, CommercialClaim.settlement_ref == settlement_ref)).one_or_none()
    if claim is None:
        raise ClaimNotFound()
    product = session.get(CommercialProduct, pol.product_row_id)
    assert product is not None
    return rules.CommercialCover(
        product_id=product.product_id, per_line={int(k): (v[0], v[1]) for k, v in claim.per_line.items()},
        total_fen=claim.paid_fen, covers_outside=product.covers_outside,
        accumulators_after=rules.CommercialAccumulators(claim.year, claim.deductible_used_after_fen,
                                                        claim.paid_after_fen))


def reverse_claim(session: Session, *, payer: str, settlement_ref: str, acc_after: rules.CommercialAccumulators,
                  refund_fen: int) -> ClaimOut:
    """Take `refund_fen` of the claim back (a refund of some or all of the settlement's lines) and set
    the accumulators to `acc_after`, under the row lock. `acc_after` must be the stored figures less
    exactly this refund (paid) and less at most the claim's deductible still counted; else
    AccumulatorsMoved. ReversalExceedsClaim for more than the claim has left."""
    _check_ref(settlement_ref)
    refund = _fen(refund_fen, "refund_fen")
    pol = _policy_of_payer(session, payer)
    claim = session.scalars(select(CommercialClaim).where(
        CommercialClaim.policy_row_id == pol.id, CommercialClaim.settlement_ref == settlement_ref)
        .with_for_update()).one_or_none()
    if claim is None:
        raise ClaimNotFound()
    if acc_after.year != claim.year:
        raise ClaimInvalid(f"the claim counts in {claim.year}, not {acc_after.year}")
    if refund > claim.paid_fen - claim.refunded_fen:
        raise ReversalExceedsClaim(f"{refund} > {claim.paid_fen - claim.refunded_fen} left of the claim")
    acc = _locked_acc(session, pol.id, claim.year)
    deductible_back = acc.deductible_used_fen - acc_after.deductible_used_fen
    if acc.paid_fen - acc_after.paid_fen != refund or not (
            0 <= deductible_back <= claim.deductible_fen - claim.deductible_returned_fen):
        raise AccumulatorsMoved(
            f"stored {acc.deductible_used_fen}/{acc.paid_fen} less refund {refund} cannot become "
            f"{acc_after.deductible_used_fen}/{acc_after.paid_fen} (deductible used/paid)")
    if refund == 0 and deductible_back == 0:
        return _claim_out(claim, pol.policy_id)
    now = clock.now()
    acc.deductible_used_fen, acc.paid_fen = acc_after.deductible_used_fen, acc_after.paid_fen
    acc.updated_at = now
    claim.refunded_fen += refund
    claim.deductible_returned_fen += deductible_back
    claim.status = "reversed" if (claim.refunded_fen, claim.deductible_returned_fen) == (
        claim.paid_fen, claim.deductible_fen) else "partly_reversed"
    claim.updated_at = now
    session.add(CommercialClaimReversal(claim_row_id=claim.id, insurer_org_id=claim.insurer_org_id, refund_fen=refund,
                                        deductible_returned_fen=deductible_back, day=clock.today_local().date(),
                                        created_at=now))
    outbox.emit(session, "medinsure.commercial.claim_reversed",
                {"claim_id": claim.claim_id, "policy_id": pol.policy_id, "insurer_org_id": claim.insurer_org_id,
                 "settlement_ref": settlement_ref, "refund_fen": refund, "deductible_returned_fen": deductible_back,
                 "status": claim.status})
    return _claim_out(claim, pol.policy_id)


def claims_for_settlement(session: Session, *, settlement_ref: str) -> list[ClaimOut]:
    rows = session.execute(
        select(CommercialClaim, CommercialPolicy.policy_id)
        .join(CommercialPolicy, CommercialPolicy.id == CommercialClaim.policy_row_id)
        .where(CommercialClaim.settlement_ref == settlement_ref).order_by(CommercialClaim.id)).all()
    return [_claim_out(c, pid) for c, pid in rows]


def list_claims(session: Session, *, insurer_org_id: str, day: date | None = None, after: str | None = None,
                limit: int = 50) -> tuple[list[ClaimOut], str | None]:
    """The insurer's claims, newest first, by cursor (`after` = the last claim id of a page)."""
    _require_insurer(session, insurer_org_id)
    limit = max(1, min(limit, MAX_PAGE))
    q = (select(CommercialClaim, CommercialPolicy.policy_id)
         .join(CommercialPolicy, CommercialPolicy.id == CommercialClaim.policy_row_id)
         .where(CommercialClaim.insurer_org_id == insurer_org_id))
    if day is not None:
        q = q.where(CommercialClaim.day == day)
    if after:
        last = session.scalars(select(CommercialClaim).where(
            CommercialClaim.claim_id == after, CommercialClaim.insurer_org_id == insurer_org_id)).one_or_none()
        if last is None:
            raise ClaimNotFound()
        q = q.where(CommercialClaim.id < last.id)
    rows = session.execute(q.order_by(CommercialClaim.id.desc()).limit(limit + 1)).all()
    items = [_claim_out(c, pid) for c, pid in rows[:limit]]
    return items, (items[-1].claim_id if len(rows) > limit else None)


def daily_total(session: Session, *, insurer_org_id: str, day: date) -> DailyTotalOut:
    """The insurer's day (city date): claims paid that day, refunds taken back that day, and the net."""
    _require_insurer(session, insurer_org_id)
    n, paid = session.execute(select(func.count(), func.coalesce(func.sum(CommercialClaim.paid_fen), 0)).where(
        CommercialClaim.insurer_org_id == insurer_org_id, CommercialClaim.day == day)).one()
    m, refunded = session.execute(
        select(func.count(), func.coalesce(func.sum(CommercialClaimReversal.refund_fen), 0)).where(
            CommercialClaimReversal.insurer_org_id == insurer_org_id, CommercialClaimReversal.day == day)).one()
    return DailyTotalOut(insurer_org_id=insurer_org_id, day=day, claims=int(n), paid_fen=int(paid),
                         reversals=int(m), refunded_fen=int(refunded), net_fen=int(paid) - int(refunded))


def parse_day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise InvalidInput("day must be a date such as 2026-11-26") from exc


__all__ = [
    "ActiveCover", "accumulators_of", "cancel_policy", "claims_for_settlement", "covers_for", "daily_total",
    "define_product", "get_policy", "get_product", "insurer_account_id", "issue_policy", "list_claims",
    "list_policies", "list_products", "parse_day", "policies_of_citizen", "record_claim", "recorded_cover",
    "reverse_claim",
    "revise_product", "rules_product",
]
