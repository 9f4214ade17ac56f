"""Family aid (家庭共济) and the counter path (settled by the institution under the citizen's consent and
small-amount limit), with figures by hand from the demo 2026 policy."""

from __future__ import annotations

from datetime import date

import pytest

from onecity.ledger import service as ledger
from onecity.medinsure import errors
from onecity.medinsure import service as med
from onecity.payments.wallet import service as wallet
from tests.medinsure.factories import (
    accumulators,
    balance,
    link_pay_medical,
    make_insured,
    open_visit,
    set_accumulators,
)

# Resident, outpatient at a level-2 hospital, deductible (¥200) already used; fund ratio 55 %:
#   1  110200001 普通门诊诊查费 甲 2500 → fund round(2500 × 55 %) = 1375, within 1125
#   2  XB01ACA001A001 阿司匹林 甲 1500 → fund 825, within 675           fund 2200, within 1800
RESIDENT_BILL = [{"code": "110200001", "quantity": 1, "unit_price_fen": 2500},
                 {"code": "XB01ACA001A001", "quantity": 1, "unit_price_fen": 1500}]


def test_a_relatives_personal_account_pays_with_pay_medical(session, city):
    parent = make_insured(session, scheme="resident", born=date(1958, 11, 8), wallet=10_000)  # no personal account
    daughter = make_insured(session, personal=1_000)
    stranger = make_insured(session, personal=50_000)
    link_pay_medical(session, daughter, parent, relation="parent")
    set_accumulators(session, parent, outpatient=20_000)
    vid = open_visit(session, city, parent, org=city.hospital2, lines=RESIDENT_BILL)
    h2 = city.hospital2.public_id

    alone = med.presettle(session, institution_org_id=h2, visit_id=vid)
    assert {p.payer: p.fen for p in alone.payers} == {"fund": 2_200, "wallet": 1_800}
    with pytest.raises(errors.FamilyPayerInvalid):  # no link with this person
        med.presettle(session, institution_org_id=h2, visit_id=vid, family_payers=[stranger.id])
    with pytest.raises(errors.FamilyPayerInvalid):  # oneself is not a relative
        med.presettle(session, institution_org_id=h2, visit_id=vid, family_payers=[parent.id])

    # The daughter's account (1 000) pays line 1's within part first: 1 000 of 1 125; the wallet the rest 125 + 675
    fam = f"family:{daughter.id}"
    quote = med.quote(session, citizen_id=parent.id, visit_id=vid, family_payers=[daughter.id])
    assert {p.payer: p.fen for p in quote.payers} == {"fund": 2_200, fam: 1_000, "wallet": 800}
    assert quote.lines[0].payers == {"fund": 1_375, fam: 1_000, "wallet": 125}
    s = med.confirm(session, citizen_id=parent.id, visit_id=vid, family_payers=[daughter.id])
    assert (s.fund_fen, s.personal_fen, s.self_fen) == (2_200, 1_000, 800)
    assert balance(session, med.personal_account_id(session, citizen_id=daughter.id)) == 0
    assert wallet.wallet_balance(session, parent.id) == 10_000 - 800
    assert ledger.check(session) == []
    # a refund gives the daughter her share back
    r = med.refund(session, institution_org_id=h2, settlement_id=s.settlement_id, line_nos=[1])
    assert r.by_payer == {"fund": 1_375, fam: 1_000, "wallet": 125}
    assert balance(session, med.personal_account_id(session, citizen_id=daughter.id)) == 1_000
    assert ledger.check(session) == []


# Employee at level 3, deductible used, 110200001 2500: fund round(2500 × 70 %) = 1750, within 750 → wallet 750.
COUNTER_BILL = [{"code": "110200001", "quantity": 1, "unit_price_fen": 2500}]


def test_counter_settles_within_consent_and_limit(session, city):
    p = make_insured(session, wallet=5_000)
    set_accumulators(session, p, outpatient=150_000)
    h3 = city.hospital3.public_id
    vid = open_visit(session, city, p, consent=True, lines=COUNTER_BILL)
    pre = med.presettle(session, institution_org_id=h3, visit_id=vid)
    assert pre.counter_allowed and not pre.needs_confirmation and pre.self_pay_fen == 750
    s = med.settle(session, institution_org_id=h3, visit_id=vid)
    assert s.channel == "counter" and (s.fund_fen, s.self_fen) == (1_750, 750)
    assert med.settle(session, institution_org_id=h3, visit_id=vid).settlement_id == s.settlement_id
    assert wallet.wallet_balance(session, p.id) == 4_250
    assert accumulators(session, p)[1:] == (1_750, 1)


def test_counter_refused_without_consent_or_above_the_limit(session, city):
    p = make_insured(session, wallet=5_000, small_limit=700)
    set_accumulators(session, p, outpatient=150_000)
    h3 = city.hospital3.public_id
    no_consent = open_visit(session, city, p, consent=False, lines=COUNTER_BILL)
    above = open_visit(session, city, p, consent=True, lines=COUNTER_BILL)
    for vid in (no_consent, above):
        pre = med.presettle(session, institution_org_id=h3, visit_id=vid)
        assert not pre.counter_allowed and pre.needs_confirmation  # 750 > 700, or no consent
        with pytest.raises(errors.CounterNotAllowed):
            med.settle(session, institution_org_id=h3, visit_id=vid)
    assert wallet.wallet_balance(session, p.id) == 5_000 and accumulators(session, p)[1:] == (0, 0)
    # the citizen confirms in the app instead
    assert med.confirm(session, citizen_id=p.id, visit_id=above).self_fen == 750


def test_settling_on_changed_figures_is_refused(session, city):
    """Two bills pre-settled on the same figures (5 000 of the deductible left): the first to settle takes the
    deductible, so the other's pre-settlement no longer holds and must be shown again."""
    p = make_insured(session, wallet=50_000)
    set_accumulators(session, p, outpatient=145_000)
    h3 = city.hospital3.public_id
    bill = [{"code": "110200003", "quantity": 1, "unit_price_fen": 6000}]
    a = open_visit(session, city, p, consent=True, lines=bill)
    b = open_visit(session, city, p, consent=True, lines=bill)
    # 6 000: 5 000 deductible, fund round(1000 × 70 %) = 700, within 5 300
    for vid in (a, b):
        assert med.presettle(session, institution_org_id=h3, visit_id=vid).fund_fen == 700
    med.settle(session, institution_org_id=h3, visit_id=a)
    with pytest.raises(errors.PresettlementStale):
        med.settle(session, institution_org_id=h3, visit_id=b)
    # pre-settled again: no deductible left, fund round(6000 × 70 %) = 4 200
    assert med.presettle(session, institution_org_id=h3, visit_id=b).fund_fen == 4_200
    assert med.settle(session, institution_org_id=h3, visit_id=b).fund_fen == 4_200
    assert accumulators(session, p) == ({"outpatient": 150_000}, 4_900, 2)


def test_a_wallet_that_cannot_pay_changes_nothing(session, city):
    p = make_insured(session, wallet=100)
    set_accumulators(session, p, outpatient=150_000)
    h3 = city.hospital3.public_id
    vid = open_visit(session, city, p, lines=COUNTER_BILL)
    med.presettle(session, institution_org_id=h3, visit_id=vid)
    session.commit()
    with pytest.raises(errors.BalanceInsufficient):
        med.confirm(session, citizen_id=p.id, visit_id=vid)
    session.rollback()  # the request's transaction is rolled back
    assert wallet.wallet_balance(session, p.id) == 100
    assert med.get_visit(session, visit_id=vid).status == "presettled"
    assert accumulators(session, p)[1:] == (0, 0)


def test_who_confirms_pays_the_rest_from_their_wallet(session, city):
    """The daughter shows her father's code and confirms: her wallet pays his self-pay; a bill he confirms
    himself is paid from his."""
    father = make_insured(session, scheme="resident", born=date(1958, 11, 8), wallet=5_000)
    daughter = make_insured(session, wallet=5_000)
    link_pay_medical(session, daughter, father, relation="parent")
    set_accumulators(session, father, outpatient=20_000)
    h2 = city.hospital2.public_id
    shown = med.scan_code(session, institution_org_id=h2, visit_type="outpatient",
                          code=med.current_code(session, citizen_id=daughter.id, subject_citizen_id=father.id).text)
    med.upload_fees(session, institution_org_id=h2, visit_id=shown.visit_id, lines=RESIDENT_BILL)
    med.presettle(session, institution_org_id=h2, visit_id=shown.visit_id)
    assert [v.visit_id for v in med.pending_confirmations(session, citizen_id=daughter.id)] == [shown.visit_id]
    s = med.confirm(session, citizen_id=daughter.id, visit_id=shown.visit_id)
    assert s.self_fen == 1_800 and s.receipt["insured"]["name_masked"] != daughter.name
    assert (wallet.wallet_balance(session, daughter.id), wallet.wallet_balance(session, father.id)) == (3_200, 5_000)
    own = open_visit(session, city, father, org=city.hospital2, lines=RESIDENT_BILL)
    med.presettle(session, institution_org_id=h2, visit_id=own)
    med.confirm(session, citizen_id=father.id, visit_id=own)
    assert (wallet.wallet_balance(session, daughter.id), wallet.wallet_balance(session, father.id)) == (3_200, 3_200)
    assert ledger.check(session) == []
