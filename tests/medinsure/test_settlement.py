"""The whole flow through the service: scan → fees → pre-settle → confirm → receipt → refund, with
figures computed by hand from the demo 2026 policy (employee, outpatient at a level-3 hospital: per-year
deductible ¥1,500.00 shared with pharmacy, fund ratio 70 %, retirees 78 %)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from onecity import clock
from onecity.ledger import service as ledger
from onecity.medinsure import errors
from onecity.medinsure import service as med
from onecity.medinsure.models import MedVisit
from onecity.outbox import OutboxEvent
from onecity.payments.wallet import service as wallet
from tests.medinsure.factories import accumulators, balance, code_for, make_insured, set_accumulators

# The worked bill (quantities × unit prices in fen):
#   1  110200003  主任医师诊查费  甲 service, list price 6000      1 × 6000  =  6000
#   2  XC10AAR001A001 瑞舒伐他汀  乙 drug, self-pay-first 10 %     3 × 4500  = 13500
#   3  XA11GAV001A001 维生素C     丙 drug (outside the policy)     1 × 2800  =  2800
#   4  XJ01CAA040A001 阿莫西林    甲 drug, standard 850/unit       2 × 1000  =  2000
#                                                                   total    = 24300
BILL = [
    {"line_no": 1, "code": "110200003", "quantity": 1, "unit_price_fen": 6000},
    {"line_no": 2, "code": "XC10AAR001A001", "quantity": 3, "unit_price_fen": 4500},
    {"line_no": 3, "code": "XA11GAV001A001", "quantity": 1, "unit_price_fen": 2800},
    {"line_no": 4, "code": "XJ01CAA040A001", "quantity": 2, "unit_price_fen": 1000},
]
# With 145 000 of the 150 000 deductible used this year (5 000 left):
#   1: 5 000 deductible; 1 000 left → fund round(1000 × 70 %) = 700, coinsurance 300; within 5 300
#   2: self-pay-first round(13500 × 10 %) = 1 350; 12 150 left → fund 8 505, coinsurance 3 645; within 4 995
#   3: all 2 800 outside (自费)
#   4: over standard 2 × (1000 − 850) = 300 outside; 1 700 → fund 1 190, coinsurance 510; within 510
#   fund 700 + 8505 + 1190 = 10 395; within 5300 + 4995 + 510 = 10 805; outside 2800 + 300 = 3 100
# Payers, personal account holding 8 000 (it may pay within and outside), line by line:
#   1: account 5 300 (2 700 left)   2: account 2 700, wallet 2 295   3: wallet 2 800   4: wallet 810
#   fund 10 395 + account 8 000 + wallet 5 905 = 24 300
FUND, WITHIN, OUTSIDE, PERSONAL, WALLET = 10_395, 10_805, 3_100, 8_000, 5_905


def _events(session, topic):
    return [e.payload for e in session.scalars(select(OutboxEvent).where(OutboxEvent.topic == topic))]


def test_full_flow_figures_ledger_and_receipt(session, city):
    p = make_insured(session, personal=8_000, wallet=50_000)
    set_accumulators(session, p, outpatient=145_000, fund_paid=20_000)
    h3 = city.hospital3.public_id
    text = code_for(session, p)
    v = med.scan_code(session, institution_org_id=h3, code=text, visit_type="outpatient")
    assert v.status == "open" and v.level == 3 and v.insured_id.startswith("ins_")
    v = med.upload_fees(session, institution_org_id=h3, visit_id=v.visit_id, lines=BILL)
    assert v.status == "billed" and v.total_fen == 24_300

    pre = med.presettle(session, institution_org_id=h3, visit_id=v.visit_id)
    assert (pre.total_fen, pre.fund_fen, pre.within_fen, pre.outside_fen) == (24_300, FUND, WITHIN, OUTSIDE)
    assert pre.policy_key == f"pengcheng/{clock.today_local().year}/v1"
    assert {x.payer: x.fen for x in pre.payers} == {"fund": FUND, "personal_account": PERSONAL, "wallet": WALLET}
    by_line = {ln.line_no: ln for ln in pre.lines}
    assert (by_line[1].deductible_fen, by_line[1].fund_fen, by_line[1].coinsurance_fen) == (5_000, 700, 300)
    assert (by_line[2].self_pay_first_fen, by_line[2].fund_fen, by_line[2].coinsurance_fen) == (1_350, 8_505, 3_645)
    assert by_line[2].payers == {"fund": 8_505, "personal_account": 2_700, "wallet": 2_295}
    assert (by_line[4].outside_fen, by_line[4].fund_fen) == (300, 1_190)
    assert pre.needs_confirmation and not pre.counter_allowed  # the code carried no counter consent
    asked = _events(session, "medinsure.confirmation.requested")
    assert asked[-1]["confirmer_id"] == p.id and asked[-1]["payers"]["wallet"] == WALLET

    pending = med.pending_confirmations(session, citizen_id=p.id)
    assert [x.visit_id for x in pending] == [v.visit_id] and pending[0].presettlement.self_pay_fen == WALLET

    fund = med.fund_account_id(session)
    inst = med.institution_account_id(session, h3)
    pa = med.personal_account_id(session, citizen_id=p.id)
    fund_before = balance(session, fund)
    s = med.confirm(session, citizen_id=p.id, visit_id=v.visit_id)
    assert (s.total_fen, s.fund_fen, s.personal_fen, s.self_fen, s.commercial_fen) == (24_300, FUND, PERSONAL, WALLET, 0)
    assert balance(session, inst) == 24_300
    assert balance(session, fund) == fund_before - FUND
    assert balance(session, pa) == 0
    assert wallet.wallet_balance(session, p.id) == 50_000 - WALLET
    assert ledger.check(session) == []
    # One group of three transfers, ids fixed by the settlement
    legs = ledger.transfers_by_ref(session, s.settlement_id)
    assert sorted(t.amount for t in legs) == sorted([FUND, PERSONAL, WALLET])
    assert accumulators(session, p) == ({"outpatient": 150_000}, 20_000 + FUND, 1)

    # the receipt: signed, checkable by anyone, and any change breaks it
    assert s.receipt["policy_key"] == s.policy_key and s.receipt["total_fen"] == 24_300
    assert {x["payer"]: x["fen"] for x in s.receipt["payers"]} == {"fund": FUND, "personal_account": PERSONAL,
                                                                  "wallet": WALLET}
    assert med.verify_receipt(s.receipt, s.receipt_signature).valid
    forged = {**s.receipt, "total_fen": 1}
    assert not med.verify_receipt(forged, s.receipt_signature).valid
    assert _events(session, "medinsure.settlement.settled")[-1]["settlement_id"] == s.settlement_id

    # confirming again returns the same settlement; nothing moves twice
    again = med.confirm(session, citizen_id=p.id, visit_id=v.visit_id)
    assert again.settlement_id == s.settlement_id and balance(session, inst) == 24_300

    # refund lines 2 and 3: exactly their shares back, the accumulators move back (line 2 used no deductible)
    r = med.refund(session, institution_org_id=h3, settlement_id=s.settlement_id, line_nos=[2, 3])
    # line 2: fund 8 505, account 2 700, wallet 2 295; line 3: wallet 2 800
    assert r.by_payer == {"fund": 8_505, "personal_account": 2_700, "wallet": 5_095} and r.total_fen == 16_300
    assert r.settlement_status == "partly_refunded"
    assert balance(session, pa) == 2_700 and balance(session, inst) == 24_300 - 16_300
    assert wallet.wallet_balance(session, p.id) == 50_000 - WALLET + 5_095
    assert accumulators(session, p) == ({"outpatient": 150_000}, 20_000 + FUND - 8_505, 1)
    assert ledger.check(session) == []

    # the same line again, or "the whole bill" now, is more than is left: refused, nothing changes
    with pytest.raises(errors.RefundExceedsBill):
        med.refund(session, institution_org_id=h3, settlement_id=s.settlement_id, line_nos=[3])
    with pytest.raises(errors.RefundExceedsBill):
        med.refund(session, institution_org_id=h3, settlement_id=s.settlement_id)
    with pytest.raises(errors.RefundLinesInvalid):
        med.refund(session, institution_org_id=h3, settlement_id=s.settlement_id, line_nos=[9])
    assert balance(session, inst) == 8_000

    # the rest: line 1 gives the deductible back (5 000), line 4 its fund share
    r2 = med.refund(session, institution_org_id=h3, settlement_id=s.settlement_id, line_nos=[1, 4])
    assert r2.by_payer == {"fund": 700 + 1_190, "personal_account": 5_300, "wallet": 810}
    assert r2.settlement_status == "refunded"
    assert balance(session, inst) == 0 and balance(session, pa) == 8_000 and balance(session, fund) == fund_before
    assert wallet.wallet_balance(session, p.id) == 50_000
    assert accumulators(session, p) == ({"outpatient": 145_000}, 20_000, 1)
    assert ledger.check(session) == []
    out = med.settlement_for_visit(session, visit_id=v.visit_id, citizen_id=p.id)
    assert out.refunded_fen == 24_300 and out.refunded_lines == [1, 2, 3, 4]
    assert session.scalar(select(MedVisit.status).where(MedVisit.visit_id == v.visit_id)) == "refunded"


def test_an_inpatient_stay_pays_its_own_deductible_each_admission(session, city):
    """Employee, inpatient at a level-2 hospital: deductible ¥800 per admission, fund 85 %.
      1  110900001 普通病房床位费 6000 × 10 = 60 000 → all deductible (20 000 of it left)
      2  331003001 阑尾切除术     150 000     → 20 000 deductible; 130 000 → fund 110 500, coinsurance 19 500
      fund 110 500; within 60 000 + 20 000 + 19 500 = 99 500; the year's deductible pools are untouched."""
    p = make_insured(session, wallet=1_000_000)
    h2 = city.hospital2.public_id
    stay = [{"code": "110900001", "quantity": 10, "unit_price_fen": 6000},
            {"code": "331003001", "quantity": 1, "unit_price_fen": 150_000}]
    for n in (1, 2):
        text = code_for(session, p)
        v = med.scan_code(session, institution_org_id=h2, code=text, visit_type="inpatient")
        med.upload_fees(session, institution_org_id=h2, visit_id=v.visit_id, lines=stay)
        pre = med.presettle(session, institution_org_id=h2, visit_id=v.visit_id)
        assert (pre.fund_fen, pre.within_fen, pre.outside_fen) == (110_500, 99_500, 0)
        assert [ln.deductible_fen for ln in pre.lines] == [60_000, 20_000]
        med.confirm(session, citizen_id=p.id, visit_id=v.visit_id)
        assert accumulators(session, p) == ({}, n * 110_500, n)
    assert ledger.check(session) == []
