"""Merchants' trade profiles: the payable ledger account, the fee rate, the settlement bank account and
what the merchant's static QR shows.

The profile is made on first use (idempotently, safe under concurrent first uses). The payable
account is credit-normal with DEBITS_MUST_NOT_EXCEED_CREDITS — a merchant can never refund or settle
more than it holds — and HOT, since every payment to the merchant credits it.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from onecity import clock
from onecity.audit import service as audit
from onecity.authz import Principal
from onecity.config import get_settings
from onecity.crypto.fields import decrypt_str, encrypt
from onecity.db import is_postgres
from onecity.errors import InvalidInput
from onecity.identity.orgs import service as orgs
from onecity.ledger import service as ledger
from onecity.ledger.schemas import DEBITS_MUST_NOT_EXCEED_CREDITS, HOT
from onecity.payments.codes import emvco
from onecity.payments.trade.models import TradeMerchant
from onecity.payments.trade.schemas import MerchantProfileOut
from onecity.payments.trade.service.errors import (
    BankAccountInvalid,
    FeeRateInvalid,
    NotAMerchant,
    NotifyUrlInvalid,
)

BANK_PURPOSE = "trade.bank_account"
_BANK_ACCOUNT = re.compile(r"^[0-9]{12,30}$")
DEFAULT_CITY = "Shenzhen"
DEFAULT_MCC = "5411"


def default_fee_rate_bp() -> int:
    return get_settings().trade_fee_rate_bp


def merchant_account_key(merchant_id: str) -> str:
    return f"merchant:{merchant_id}:CNY"


def _merchant_org(session: Session, merchant_id: str) -> orgs.Org:
    org = orgs.get_org(session, merchant_id)  # OrgNotFound (404) when there is none
    if org.kind != "merchant":
        raise NotAMerchant()
    return org


def merchant_profile(session: Session, merchant_id: str) -> TradeMerchant:
    """The merchant's profile, made (with its ledger account) on first use. Read once per
    transaction (a payment asks for it twice)."""
    cache = session.info.setdefault("trade.merchant_profiles", {})
    row = cache.get(merchant_id)
    if row is not None and row in session:
        return row
    row = session.scalars(select(TradeMerchant).where(TradeMerchant.merchant_id == merchant_id)).one_or_none()
    if row is not None:
        cache[merchant_id] = row
        return row
    _merchant_org(session, merchant_id)
    account = ledger.open_account(session, key=merchant_account_key(merchant_id), code="merchant",
                                  owner=merchant_id, flags=DEBITS_MUST_NOT_EXCEED_CREDITS | HOT,
                                  name=f"merchant payable {merchant_id}")
    now = clock.now()
    values = dict(merchant_id=merchant_id, ledger_account_id=account.id, fee_rate_bp=default_fee_rate_bp(),
                  city=DEFAULT_CITY, mcc=DEFAULT_MCC, created_at=now, updated_at=now)
    insert = pg_insert if is_postgres(session) else sqlite_insert
    session.execute(insert(TradeMerchant).values(**values).on_conflict_do_nothing(index_elements=["merchant_id"]))
    return session.scalars(select(TradeMerchant).where(TradeMerchant.merchant_id == merchant_id)).one()


def merchant_account_id(session: Session, merchant_id: str) -> str:
    """The merchant's payable ledger account (opened on first use)."""
    return merchant_profile(session, merchant_id).ledger_account_id


_NAMES: dict[str, str] = {}  # merchant id -> Chinese name; organisations are never renamed
_NAMES_MAX = 10_000


def merchant_name(session: Session, merchant_id: str) -> str:
    """The merchant's name (cached in the process: every order shows it, and it never changes)."""
    name = _NAMES.get(merchant_id)
    if name is None:
        name = _merchant_org(session, merchant_id).name_zh
        if len(_NAMES) >= _NAMES_MAX:
            _NAMES.clear()
        _NAMES[merchant_id] = name
    return name


def mask_bank_account(last4: str | None) -> str | None:
    return f"**** **** **** {last4}" if last4 else None


def profile_out(session: Session, row: TradeMerchant) -> MerchantProfileOut:
    return MerchantProfileOut(
        merchant_id=row.merchant_id, merchant_name=merchant_name(session, row.merchant_id),
        ledger_account_id=row.ledger_account_id, fee_rate_bp=row.fee_rate_bp,
        bank_account_masked=mask_bank_account(row.bank_account_last4), bank_holder_name=row.bank_holder_name,
        notify_url=row.notify_url, city=row.city, mcc=row.mcc)


def get_profile(session: Session, merchant_id: str) -> MerchantProfileOut:
    return profile_out(session, merchant_profile(session, merchant_id))


def check_notify_url(url: str | None) -> str | None:
    if url is None or not url.strip():
        return None
    url = url.strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or len(url) > 1000:
        raise NotifyUrlInvalid()
    return url


def update_profile(
    session: Session,
    *,
    merchant_id: str,
    actor: Principal | str,
    bank_account: str | None = None,
    holder_name: str | None = None,
    notify_url: str | None = None,
    city: str | None = None,
    mcc: str | None = None,
) -> MerchantProfileOut:
    """Change the settlement bank account, default notify URL or QR data; each change is audited."""
    row = merchant_profile(session, merchant_id)
    changed: list[str] = []
    if bank_account is not None:
        digits = bank_account.replace(" ", "")
        if not _BANK_ACCOUNT.match(digits):
            raise BankAccountInvalid()
        if not holder_name or not holder_name.strip():
            raise BankAccountInvalid(detail="the account holder's name is required")
        row.bank_account_enc = encrypt(digits, purpose=BANK_PURPOSE)
        row.bank_account_last4 = digits[-4:]
        row.bank_holder_name = holder_name.strip()[:200]
        changed.append("bank_account")
    if notify_url is not None:
        row.notify_url = check_notify_url(notify_url)
        changed.append("notify_url")
    if city is not None:
        if not city.strip() or len(city.strip()) > 15:
            raise InvalidInput(detail="city must be 1-15 characters")
        row.city = city.strip()
        changed.append("city")
    if mcc is not None:
        if not re.fullmatch(r"[0-9]{4}", mcc):
            raise InvalidInput(detail="mcc must be 4 digits")
        row.mcc = mcc
        changed.append("mcc")
    if changed:
        row.updated_at = clock.now()
        audit.record(session, actor=actor, action="trade.merchant.update", subject_citizen_id=None,
                     resource=f"trade_merchant/{merchant_id}", reason="商户结算信息变更 " + ",".join(changed),
                     on_behalf_of=merchant_id)
    return profile_out(session, row)


def set_fee_rate(session: Session, *, merchant_id: str, fee_rate_bp: int, actor: Principal | str) -> MerchantProfileOut:
    """The fee rate applies to orders paid from now on (each order keeps the rate it was paid at)."""
    if not 0 <= fee_rate_bp <= 1000:
        raise FeeRateInvalid()
    row = merchant_profile(session, merchant_id)
    if row.fee_rate_bp != fee_rate_bp:
        audit.record(session, actor=actor, action="trade.merchant.fee_rate", subject_citizen_id=None,
                     resource=f"trade_merchant/{merchant_id}",
                     reason=f"费率 {row.fee_rate_bp} -> {fee_rate_bp} bp", on_behalf_of=merchant_id)
        row.fee_rate_bp = fee_rate_bp
        row.updated_at = clock.now()
    return profile_out(session, row)


def settlement_bank_account(row: TradeMerchant) -> str | None:
    return decrypt_str(row.bank_account_enc, purpose=BANK_PURPOSE) if row.bank_account_enc else None


def static_qr_payload(session: Session, merchant_id: str) -> str:
    """The merchant's static EMVCo QR (no amount: the buyer types it)."""
    row = merchant_profile(session, merchant_id)
    return emvco.encode_merchant_qr(merchant_id=merchant_id, merchant_name=merchant_name(session, merchant_id),
                                    city=row.city, mcc=row.mcc)
