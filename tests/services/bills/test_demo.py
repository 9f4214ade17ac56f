"""The demo city's utility bills: the four billers' profiles, bills at the simulated billers for the
demo people, 王芳's accounts (electricity with autopay ≤ ¥300) and her father's water account, which
she may pay; she adds her own water account (¥86.40) herself. Seeding twice changes nothing."""

from __future__ import annotations

from sqlalchemy import func, select

from onecity.demo import cast, seed, services_bills
from onecity.services.bills import service
from onecity.services.bills.models import BillAccount, BillerProfile, BillSimBill
from tests.payments.trade.factories import fund_wallet
from tests.services.bills.factories import install_sim


def _city(session):  # type: ignore[no-untyped-def]
    from onecity.identity import service as identity

    report = seed.SeedReport(residents=0)
    identity.load_registry(session, seed.registry_rows(len(cast.CITIZENS)))  # the cast's own entries: real-name checks pass
    ids = seed.seed_citizens(session, report)
    seed.seed_links(session, report, ids)
    made = seed.seed_orgs(session, report)
    return report, ids, made


def _counts(session) -> tuple[int, int, int]:  # type: ignore[no-untyped-def]
    return tuple(session.scalar(select(func.count()).select_from(m)) or 0  # type: ignore[return-value]
                 for m in (BillerProfile, BillAccount, BillSimBill))


def test_the_demo_city_has_billers_bills_and_accounts(session):
    report, ids, made = _city(session)
    services_bills.seed(session, report, ids, made)
    first = _counts(session)
    services_bills.seed(session, report, ids, made)  # again: nothing new
    assert _counts(session) == first == (4, 4, 4)
    assert {b.product for b in service.list_billers(session)} == {"water", "electricity", "gas", "phone"}
    main, father = ids[cast.MAIN.key], ids[cast.PARENT.key]
    mine = {a.alias: a for a in service.list_accounts(session, citizen_id=main)}
    assert set(mine) == {"家里电费", "家里燃气", "我的手机"}
    assert (mine["家里电费"].autopay, mine["家里电费"].autopay_limit) == (True, 30_000)
    session.commit()  # the simulated billers answer in their own transactions
    for username in ("water-group", "power-supply", "gas-group", "china-mobile"):
        install_sim(made[username].public_id)  # the same billers' records, without their random busy spells

    water = made["water-group"].public_id
    acc = service.add_account(session, citizen_id=main, biller_org_id=water, account_no=services_bills.DEMO_WATER_NO,
                              alias="家里水费", actor=main)
    target = service.locate(session, citizen_id=main, account_id=acc.account_id)
    session.commit()
    assert [b.amount for b in service.fetch_from_biller(target)] == [8_640]

    dads = service.list_accounts(session, citizen_id=main, owner_id=father)  # she holds view_bills over him
    target = service.locate(session, citizen_id=main, account_id=dads[0].account_id, scope="pay_bills")
    fund_wallet(session, main, 10_000)
    session.commit()
    bills = service.fetch_from_biller(target)
    paid = service.pay_bill(session, target=target, bills=bills, bill_id=bills[0].bill_id, amount=4_270, actor=main)
    assert (paid.payer_id, paid.owner_id, paid.via) == (main, father, "family")


def test_the_telecom_is_skipped_when_the_cast_has_no_such_org(session):
    report, ids, made = _city(session)
    services_bills.seed(session, report, ids, {k: v for k, v in made.items() if k != "china-mobile"})
    assert {b.product for b in service.list_billers(session)} == {"water", "electricity", "gas"}
