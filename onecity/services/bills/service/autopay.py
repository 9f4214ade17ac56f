"""Autopay (自动缴费): on a bill's due date the platform pays it from the account holder's wallet if
its amount is within the limit the holder set; over the limit it only tells them. Each (account, bill)
is decided once (`svc_bill_autopay_runs.run_key` is unique), and a bill is paid at most once anyway
(the payment's unique bill key), so the job may run again, or twice at once, safely."""

from __future__ import annotations

import logging

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from onecity import clock
from onecity.db import transaction
from onecity.errors import DomainError
from onecity.money import yuan
from onecity.services.bills import rules
from onecity.services.bills.models import AutopayRun
from onecity.services.bills.schemas import AutopayOut
from onecity.services.bills.service import accounts, payments
from onecity.services.bills.service.connector import FetchedBill

log = logging.getLogger("onecity.services.bills")
ACTOR = "services.bills.autopay"


def _decided(run_key: str) -> bool:
    with transaction() as s:
        return s.scalar(select(AutopayRun.id).where(AutopayRun.run_key == run_key)) is not None


def _settle_one(target: accounts.Target, bills: list[FetchedBill], bill: FetchedBill, out: AutopayOut) -> None:
    run_key = f"{target.account_id}:{bill.bill_id}"
    if _decided(run_key):
        return
    today = clock.today_local().date()
    try:
        with transaction() as s:
            limit = accounts.autopay_limit_of(s, target.account_row_id)
            if limit is None:
                return
            # "paid" also when paid here and the biller has not posted it yet (no failure notice for that;
            # nothing recorded either, so a payment the biller refuses later is paid on the next run)
            status = accounts.bills_view(s, target, [bill])[0].status
            decision = rules.autopay_decision(amount=bill.amount, due_date=bill.due_date, today=today, limit=limit,
                                              status=status)
            if decision.reason in ("not_due", "already_paid"):
                return
            run = AutopayRun(run_key=run_key, account_row_id=target.account_row_id, bill_id=bill.bill_id,
                             amount=bill.amount, outcome=decision.reason, created_at=clock.now())
            s.add(run)
            s.flush()  # a second worker deciding the same bill stops here (IntegrityError)
            if not decision.pay:
                run.outcome = "over_limit"
                payments.notice(s, citizen_id=target.owner_id, title=("账单超过自动缴费上限", "Bill over your autopay limit"),
                                body=(f"账单 {bill.period} 金额 {yuan(bill.amount)} 元，超过你设置的上限 {yuan(limit)} 元，"
                                      "未自动缴费，请手动缴纳。",
                                      f"The {bill.period} bill of ¥{yuan(bill.amount)} is over your limit of "
                                      f"¥{yuan(limit)}; it was not paid automatically. Please pay it yourself."))
                out.over_limit += 1
                return
            try:
                with s.begin_nested():
                    paid = payments.pay_bill(s, target=target, bills=bills, bill_id=bill.bill_id, amount=bill.amount,
                                             actor=ACTOR, via="autopay")
            except DomainError as exc:  # InsufficientFunds, BillAlreadyPaid …
                run.outcome, run.detail = "failed", f"{type(exc).__name__}"[:200]
                payments.notice(s, citizen_id=target.owner_id, title=("自动缴费未成功", "Autopay did not go through"),
                                body=(f"账单 {bill.period} 金额 {yuan(bill.amount)} 元未能自动缴纳（余额不足或账单已缴），"
                                      "请查看。",
                                      f"The {bill.period} bill of ¥{yuan(bill.amount)} could not be paid automatically "
                                      "(not enough in the wallet, or paid already); please check."))
                out.failed += 1
                return
            run.outcome, run.payment_id = "paid", paid.payment_id
            out.paid += 1
    except IntegrityError:
        return  # decided by another run meanwhile


def run_autopay() -> AutopayOut:
    """Pay what is due today on every autopay account (the job; calls billers outside transactions)."""
    out = AutopayOut()
    after = 0
    while True:
        with transaction() as s:
            batch = accounts.autopay_accounts(s, after_id=after)
        if not batch:
            return out
        after = batch[-1][0]
        for _row_id, account_id, owner in batch:
            out.accounts += 1
            try:
                with transaction() as s:
                    target = accounts.locate(s, citizen_id=owner, account_id=account_id)
                bills = accounts.fetch_from_biller(target)
            except DomainError as exc:
                log.warning("autopay: cannot fetch", extra={"account": account_id, "error": exc.code})
                continue
            for bill in bills:
                if bill.status == "unpaid":
                    _settle_one(target, bills, bill, out)
