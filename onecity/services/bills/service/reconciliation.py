"""The daily reconciliation file (对账文件) each biller receives: the payments the biller confirmed on
one Asia/Shanghai business day (by the platform's `confirmed_at`), as CSV with a header and a footer
carrying count and total, signed with the bills key (Ed25519, detached). Generated once per biller and
day (the job runs for the previous day; generating again returns the same file)."""

from __future__ import annotations

import hashlib
from datetime import date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from onecity import clock, outbox
from onecity.crypto.fields import decrypt_str
from onecity.ids import new_id
from onecity.services.bills import rules
from onecity.services.bills.errors import ReconFileNotFound
from onecity.services.bills.models import BillAccount, BillPayment, ReconFile
from onecity.services.bills.schemas import ReconFileOut
from onecity.services.bills.service import billers, signing
from onecity.services.bills.service.accounts import ENC_NUMBER


def day_window(day: date) -> tuple[datetime, datetime]:
    """[00:00, next 00:00) of `day` in Asia/Shanghai, as aware datetimes."""
    start = datetime.combine(day, time(0), tzinfo=clock.CITY_TZ)
    return start, start + timedelta(days=1)


def _out(f: ReconFile) -> ReconFileOut:
    return ReconFileOut(file_id=f.public_id, biller_org_id=f.biller_org_id, business_date=f.business_date,
                        count=f.count, total=f.total, sha256=f.sha256, signature=f.signature, key_id=f.key_id,
                        created_at=f.created_at)


def lines_for(session: Session, *, biller_org_id: str, day: date) -> list[rules.ReconLine]:
    start, end = day_window(day)
    profile = billers.active_profile(session, biller_org_id)
    rows = session.execute(
        select(BillPayment, BillAccount).join(BillAccount, BillAccount.id == BillPayment.account_row_id)
        .where(BillPayment.biller_org_id == biller_org_id, BillPayment.state == "confirmed",
               BillPayment.confirmed_at >= start, BillPayment.confirmed_at < end)
        .order_by(BillPayment.confirmed_at, BillPayment.id)).all()
    return [rules.ReconLine(platform_ref=p.public_id, bill_id=p.bill_id,
                            account_masked=a.number_masked if profile.recon_mask_accounts
                            else decrypt_str(a.number_enc, purpose=ENC_NUMBER),
                            amount_fen=p.amount,
                            confirmed_at=clock.aware(p.confirmed_at).astimezone(clock.CITY_TZ))  # type: ignore[arg-type]
            for p, a in rows]


def generate(session: Session, *, biller_org_id: str, day: date) -> ReconFileOut:
    """The biller's file for `day` (made and signed on first call; the same file afterwards)."""
    existing = session.scalars(select(ReconFile).where(ReconFile.biller_org_id == biller_org_id,
                                                       ReconFile.business_date == day)).one_or_none()
    if existing is not None:
        return _out(existing)
    lines = lines_for(session, biller_org_id=biller_org_id, day=day)
    now = clock.now()
    content = rules.recon_csv(biller_org_id=biller_org_id, day=day, lines=lines,
                              generated_at=now.astimezone(clock.CITY_TZ).replace(microsecond=0))
    data = content.encode()
    f = ReconFile(public_id=new_id("brf"), biller_org_id=biller_org_id, business_date=day, count=len(lines),
                  total=sum(ln.amount_fen for ln in lines), content=content, sha256=hashlib.sha256(data).hexdigest(),
                  signature=signing.sign(data), key_id=signing.key_id(), created_at=now)
    session.add(f)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:  # another worker made it first
        return _out(session.scalars(select(ReconFile).where(ReconFile.biller_org_id == biller_org_id,
                                                            ReconFile.business_date == day)).one())
    outbox.emit(session, "services.bills.recon.ready", {"file_id": f.public_id, "biller_org_id": biller_org_id,
                                                         "business_date": day.isoformat(), "count": f.count,
                                                         "total": f.total})
    return _out(f)


def generate_due(session: Session) -> list[ReconFileOut]:
    """Yesterday's (Asia/Shanghai) file for every biller that receives one."""
    day = clock.today_local().date() - timedelta(days=1)
    return [generate(session, biller_org_id=org_id, day=day) for org_id in billers.profiles_for_recon(session)]


def list_files(session: Session, *, biller_org_id: str, limit: int = 60) -> list[ReconFileOut]:
    return [_out(f) for f in session.scalars(select(ReconFile).where(ReconFile.biller_org_id == biller_org_id)
                                             .order_by(ReconFile.business_date.desc()).limit(limit))]


def download_headers(meta: ReconFileOut) -> dict[str, str]:
    """The headers a downloaded file goes with: its name, and the detached signature and key id."""
    return {"Content-Disposition": f'attachment; filename="bills-recon-{meta.business_date.isoformat()}.csv"',
            "X-OneCity-Recon-Signature": meta.signature, "X-OneCity-Recon-Key-Id": meta.key_id}


def get_file(session: Session, *, biller_org_id: str, file_id: str) -> tuple[ReconFileOut, str]:
    """The file's description and its exact text (what the signature covers, UTF-8)."""
    f = session.scalars(select(ReconFile).where(ReconFile.public_id == file_id)).one_or_none()
    if f is None or f.biller_org_id != biller_org_id:
        raise ReconFileNotFound()
    return _out(f), f.content
