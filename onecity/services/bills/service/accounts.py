"""Citizens' bill accounts (户号): adding one (checked against the biller's format), listing them (a
relative's too with `view_bills`), autopay settings, and fetching the bills from the biller.

Fetching calls the biller, so it is split in three for the caller that owns the transaction:
`locate` (read: the account, the caller's right to it, how to reach the biller) → the caller ends its
read-only transaction → `fetch_from_biller` (the network call, no session) → `bills_view` (read: which
of the bills were paid here)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from onecity import clock
from onecity.audit import service as audit
from onecity.authz import Principal
from onecity.crypto.fields import blind_index, decrypt_str, encrypt
from onecity.identity.family import service as family
from onecity.identity.orgs import service as orgs
from onecity.ids import new_id
from onecity.services.bills import rules
from onecity.services.bills.errors import (
    AccountAlreadyAdded,
    AccountNotFound,
    AccountUnknownAtBiller,
    AliasInvalid,
    AutopayLimitInvalid,
    BillerUnavailable,
    NotForThisProduct,
    TooManyAccounts,
)
from onecity.services.bills.models import BillAccount, BillPayment
from onecity.services.bills.schemas import AccountOut, BillOut
from onecity.services.bills.service import billers
from onecity.services.bills.service.connector import (
    BillerAccountUnknown,
    BillerDown,
    BillerTimeout,
    FetchedBill,
    topup_bill_id,
)

ENC_NUMBER = "svc_bill_account.number"
IDX_NUMBER = "svc_bill_account.number"
MAX_ACCOUNTS = 30


@dataclass(frozen=True)
class Target:
    """One account as the caller may use it, and the way to its biller."""

    account_row_id: int
    account_id: str
    owner_id: str
    actor_id: str
    account_no: str
    route: billers.Route

    @property
    def for_relative(self) -> bool:
        return self.owner_id != self.actor_id


def _out(session: Session, a: BillAccount, names: dict[str, tuple[str, str | None]] | None = None) -> AccountOut:
    if names is None or a.biller_org_id not in names:
        org = orgs.get_org(session, a.biller_org_id)
        name = (org.name_zh, org.name_en)
    else:
        name = names[a.biller_org_id]
    product = billers.active_profile(session, a.biller_org_id).product
    return AccountOut(account_id=a.public_id, citizen_id=a.citizen_id, biller_org_id=a.biller_org_id,
                      biller_name_zh=name[0], biller_name_en=name[1], product=product,  # type: ignore[arg-type]
                      number_masked=a.number_masked, alias=a.alias, autopay=a.autopay,
                      autopay_limit=a.autopay_limit, created_at=a.created_at)


def add_account(session: Session, *, citizen_id: str, biller_org_id: str, account_no: str, alias: str,
                actor: Principal | str) -> AccountOut:
    """Add an account number at a biller under an alias (1–20 characters). The number must have the
    biller's format and check digit; the same number twice at one biller is refused."""
    profile = billers.active_profile(session, biller_org_id)
    number = rules.check_account_number(account_no, pattern=profile.account_pattern, check_digit=profile.check_digit)
    alias = (alias or "").strip()
    if not 1 <= len(alias) <= 20:
        raise AliasInvalid()
    index = blind_index(f"{biller_org_id}:{number}", purpose=IDX_NUMBER)
    existing = session.scalars(select(BillAccount).where(BillAccount.citizen_id == citizen_id,
                                                         BillAccount.biller_org_id == biller_org_id,
                                                         BillAccount.number_index == index)).one_or_none()
    now = clock.now()
    if existing is not None and existing.status == "active":
        raise AccountAlreadyAdded()
    active = session.scalars(select(BillAccount.id).where(BillAccount.citizen_id == citizen_id,
                                                          BillAccount.status == "active")).all()
    if len(active) >= MAX_ACCOUNTS:
        raise TooManyAccounts(detail=f"at most {MAX_ACCOUNTS} accounts")
    if existing is not None:  # added before and removed: back again, settings reset
        existing.status, existing.alias, existing.autopay, existing.autopay_limit = "active", alias, False, None
        existing.updated_at = now
        row = existing
    else:
        row = BillAccount(public_id=new_id("bac"), citizen_id=citizen_id, biller_org_id=biller_org_id,
                          number_enc=encrypt(number, purpose=ENC_NUMBER), number_index=index,
                          number_masked=rules.mask_account(number), alias=alias, autopay=False, autopay_limit=None,
                          status="active", created_at=now, updated_at=now)
        session.add(row)
    session.flush()
    audit.record(session, actor=actor, action="services.bills.account.add", subject_citizen_id=citizen_id,
                 resource=f"bill_account/{row.public_id}", reason="添加缴费户号 (added a bill account)")
    return _out(session, row)


def _row(session: Session, account_id: str) -> BillAccount:
    row = session.scalars(select(BillAccount).where(BillAccount.public_id == account_id,
                                                    BillAccount.status == "active")).one_or_none()
    if row is None:
        raise AccountNotFound()
    return row


def _may(session: Session, *, actor_id: str, owner_id: str, scope: str) -> None:
    """The owner may; a relative needs `scope` (view_bills / pay_bills); anyone else sees nothing."""
    if actor_id == owner_id:
        return
    held = family.scopes_of(session, actor_citizen_id=actor_id, subject_citizen_id=owner_id)
    if "view_bills" not in held and "pay_bills" not in held:
        raise AccountNotFound()
    if scope not in held:
        raise family.NotAllowedForRelative(detail=f"no {scope} scope for this relative")


def list_accounts(session: Session, *, citizen_id: str, owner_id: str | None = None) -> list[AccountOut]:
    """The citizen's own accounts, or (with `owner_id`) a relative's, which needs `view_bills`."""
    owner = owner_id or citizen_id
    _may(session, actor_id=citizen_id, owner_id=owner, scope="view_bills")
    rows = list(session.scalars(select(BillAccount).where(BillAccount.citizen_id == owner,
                                                          BillAccount.status == "active")
                                .order_by(BillAccount.created_at, BillAccount.id)))
    names = orgs.org_names(session, {r.biller_org_id for r in rows})
    return [_out(session, r, {k: (v, None) for k, v in names.items()}) for r in rows]


def get_account(session: Session, *, citizen_id: str, account_id: str) -> AccountOut:
    row = _row(session, account_id)
    _may(session, actor_id=citizen_id, owner_id=row.citizen_id, scope="view_bills")
    return _out(session, row)


def remove_account(session: Session, *, citizen_id: str, account_id: str, actor: Principal | str) -> None:
    row = _row(session, account_id)
    if row.citizen_id != citizen_id:
        raise AccountNotFound()
    row.status, row.autopay, row.updated_at = "removed", False, clock.now()
    audit.record(session, actor=actor, action="services.bills.account.remove", subject_citizen_id=citizen_id,
                 resource=f"bill_account/{row.public_id}", reason="删除缴费户号 (removed a bill account)")


def set_autopay(session: Session, *, citizen_id: str, account_id: str, enabled: bool, limit: int | None,
                actor: Principal | str) -> AccountOut:
    """Turn autopay on with a limit (¥1–¥5,000, fen) or off. Only the owner; not for phone top-up."""
    row = _row(session, account_id)
    if row.citizen_id != citizen_id:
        raise AccountNotFound()
    if billers.active_profile(session, row.biller_org_id).product == "phone" and enabled:
        raise NotForThisProduct(detail="phone top-up has no bills to pay automatically")
    if enabled and (not isinstance(limit, int) or isinstance(limit, bool)
                    or not rules.AUTOPAY_MIN_LIMIT <= limit <= rules.AUTOPAY_MAX_LIMIT):
        raise AutopayLimitInvalid()
    row.autopay, row.autopay_limit, row.updated_at = enabled, limit if enabled else None, clock.now()
    audit.record(session, actor=actor, action="services.bills.autopay", subject_citizen_id=citizen_id,
                 resource=f"bill_account/{row.public_id}",
                 reason=f"自动缴费{'开启' if enabled else '关闭'} (autopay {'on' if enabled else 'off'})")
    return _out(session, row)


# --- fetching -------------------------------------------------------------------------------------

def locate(session: Session, *, citizen_id: str, account_id: str, scope: str = "view_bills") -> Target:
    row = _row(session, account_id)
    _may(session, actor_id=citizen_id, owner_id=row.citizen_id, scope=scope)
    profile = billers.active_profile(session, row.biller_org_id)
    return Target(row.id, row.public_id, row.citizen_id, citizen_id, decrypt_str(row.number_enc, purpose=ENC_NUMBER),
                  billers.route_of(profile))


def fetch_from_biller(target: Target) -> list[FetchedBill]:
    """Ask the biller (no session: call it outside any transaction). Phone top-up has no bills."""
    if target.route.product == "phone":
        return []
    try:
        return billers.connector(target.route).fetch(target.account_no)
    except BillerAccountUnknown as exc:
        raise AccountUnknownAtBiller() from exc
    except (BillerDown, BillerTimeout) as exc:
        raise BillerUnavailable(detail=str(exc)[:200]) from exc


def bills_view(session: Session, target: Target, bills: list[FetchedBill]) -> list[BillOut]:
    keys = [bill_key(target.route.org_id, b.bill_id) for b in bills]
    paid = dict(session.execute(select(BillPayment.bill_key, BillPayment.public_id)
                                .where(BillPayment.bill_key.in_(keys))).all()) if keys else {}
    return [BillOut(bill_id=b.bill_id, account_id=target.account_id, period=b.period, amount=b.amount,
                    due_date=b.due_date, holder_masked=b.holder_masked,
                    status="paid" if b.status == "paid" or k in paid else "unpaid", paid_here=paid.get(k))
            for b, k in zip(bills, keys, strict=True)]


def bill_key(org_id: str, bill_id: str) -> str:
    return f"{org_id}:{bill_id}"


def topup_bill(target: Target) -> str:
    """The bill id a top-up is recorded under: the number masked (the payment row, the citizen's
    history, the biller console and the reconciliation file never hold a phone number in clear)."""
    return topup_bill_id(rules.mask_account(target.account_no))


def advice_bill_id(session: Session, *, account_row_id: int, kind: str, bill_id: str) -> str:
    """The bill id sent to the biller: the recorded one, except a top-up names the whole number,
    decrypted from the account only for the call."""
    if kind != "topup":
        return bill_id
    row = session.get(BillAccount, account_row_id)
    if row is None:
        raise AccountNotFound()
    return topup_bill_id(decrypt_str(row.number_enc, purpose=ENC_NUMBER))


def autopay_accounts(session: Session, *, after_id: int = 0, limit: int = 200) -> list[tuple[int, str, str]]:
    """(row id, account public id, owner) of accounts with autopay on, by row id after `after_id`."""
    return list(session.execute(select(BillAccount.id, BillAccount.public_id, BillAccount.citizen_id)
                                .where(BillAccount.autopay.is_(True), BillAccount.status == "active",
                                       BillAccount.id > after_id).order_by(BillAccount.id).limit(limit)).all())


def autopay_limit_of(session: Session, account_row_id: int) -> int | None:
    row = session.get(BillAccount, account_row_id)
    return row.autopay_limit if row is not None and row.autopay and row.status == "active" else None
