"""Golden bills: worked splits of the demo city's (鹏城) 2025 and 2026 policies, computed by hand below.

Notation per line: amount | outside 自费 | self-pay-first 先行自付 | deductible 起付 | coinsurance 共付 |
over cap 超封顶 | fund 统筹. Every percentage share is rounded half up to the fen per line; the citizen's
part takes the remainder.

Policy figures used (see onecity/medinsure/data/pengcheng_{2025,2026}.json):
- employee outpatient: deductible ¥1,800/year in 2025, ¥1,500 in 2026 (pool "outpatient", shared with
  pharmacy); ratio level 1/2/3 = 90/80/70 %, retirees 95/88/78 %; pharmacy 50 %, retirees 60 %.
- employee inpatient: deductible per admission ¥400/¥800/¥1,200 at level 1/2/3; ratio 90/85/80 %,
  retirees 95/92/88 %. Cap ¥300,000 (2025), ¥320,000 (2026).
- resident: outpatient deductible ¥300/year (2025), ¥200 (2026), ratio 60/55/50 %; chronic no deductible,
  70/65/60 %; inpatient per admission ¥300/¥600/¥1,000, ratio 85/75/70 %. Cap ¥200,000 / ¥220,000.
- 乙类 self-pay-first 10 % (MRI 20 %, intraocular lens and hip prosthesis 20 %, montmorillonite 5 %).
- Atorvastatin is 乙 in 2025 and 甲 in 2026.
"""

from __future__ import annotations

from onecity.medinsure.rules import (
    Accumulators,
    BillLine,
    BillSplit,
    CommercialAccumulators,
    CommercialProduct,
    LineSplit,
    PayerShare,
    PayerSource,
    Policy,
    allocate_payers,
    commercial_cover,
    reverse,
    split_bill,
)

EMPTY = frozenset[str]()
WITHIN = frozenset({"self_pay_within"})
BOTH = frozenset({"self_pay_within", "self_pay_outside"})


def parts(ln: LineSplit) -> tuple[int, int, int, int, int, int, int]:
    """(amount, outside, self-pay-first, deductible, coinsurance, over cap, fund) of a line."""
    return (ln.amount_fen, ln.outside_fen, ln.self_pay_first_fen, ln.deductible_fen, ln.coinsurance_fen,
            ln.over_cap_fen, ln.fund_fen)


def totals(s: BillSplit) -> tuple[int, int, int, int]:
    """(total, fund, within, outside) of a bill."""
    return (s.total_fen, s.fund_fen, s.within_fen, s.outside_fen)


def lines(*spec: tuple[str, int, int]) -> list[BillLine]:
    return [BillLine(i, code, q, price) for i, (code, q, price) in enumerate(spec, start=1)]


# ---------------------------------------------------------------------------------------------- 1
def bill1(p25: Policy) -> BillSplit:
    return split_bill(p25, scheme="employee", visit_type="outpatient", level=3, retiree=False,
                      lines=lines(("110200003", 1, 6000),         # chief physician consultation, 甲, list ¥60
                                  ("210300001", 2, 25000),        # CT plain scan ×2, 乙 10 %, list ¥250
                                  ("XC10AAA001A001", 10, 1190),   # atorvastatin ×10, 乙 10 % in 2025, std ¥11.90
                                  ("250101015", 1, 2000)),        # blood count, 甲, list ¥20
                      ytd=Accumulators(2025, {"outpatient": 150000}, 0))


def test_1_deductible_crossing_within_one_bill(p25: Policy) -> None:
    # Employee outpatient, level 3 (70 %), 2025. ¥1,500 of the ¥1,800 deductible already used: 30000 left.
    # L1 6000 甲: all 6000 to the deductible (24000 left), fund 0.
    # L2 50000 乙: self-pay-first 10 % = 5000; 45000 left; deductible takes 24000 (0 left);
    #    21000 × 70 % = 14700 fund, coinsurance 6300.
    # L3 11900 乙: self-pay-first 1190; 10710 × 70 % = 7497 fund, coinsurance 3213.
    # L4 2000 甲: 1400 fund, 600 coinsurance.
    # fund 0+14700+7497+1400 = 23597; within 6000+(5000+24000+6300)+(1190+3213)+600 = 46303; total 69900.
    s = bill1(p25)
    assert [parts(ln) for ln in s.lines] == [
        (6000, 0, 0, 6000, 0, 0, 0),
        (50000, 0, 5000, 24000, 6300, 0, 14700),
        (11900, 0, 1190, 0, 3213, 0, 7497),
        (2000, 0, 0, 0, 600, 0, 1400),
    ]
    assert totals(s) == (69900, 23597, 46303, 0)
    assert s.accumulators_after == Accumulators(2025, {"outpatient": 180000}, 23597)
    assert s.policy_key == "pengcheng/2025/v1"
    assert s.deductible_fen == 30000


# ---------------------------------------------------------------------------------------------- 2
def test_2_deductible_crossing_across_bills_and_rounding(p25: Policy) -> None:
    # Resident outpatient, level 1 (60 %), 2025; deductible ¥300 = 30000 a year.
    # Bill A: consultation 2500 + amoxicillin 2 × 850 (at its standard) = 1700 + blood count 2000 = 6200,
    #         all to the deductible; fund 0; 6200 used, 23800 left.
    a = split_bill(p25, scheme="resident", visit_type="outpatient", level=1, retiree=False,
                   lines=lines(("110200001", 1, 2500), ("XJ01CAA040A001", 2, 850), ("250101015", 1, 2000)),
                   ytd=Accumulators.zero(2025))
    assert totals(a) == (6200, 0, 6200, 0)
    assert a.accumulators_after == Accumulators(2025, {"outpatient": 6200}, 0)
    # Bill B:
    # L1 CT 25000 乙: self-pay-first 2500; 22500 all to the deductible (1300 left); fund 0.
    # L2 levofloxacin 2 × 3260 = 6520 乙: self-pay-first 652; 5868; deductible 1300 (0 left); 4568 × 60 %
    #    = 2740.8 → 2741 fund (half up), coinsurance 1827.
    # L3 urinalysis 1000: 600 fund, 400 coinsurance.
    # fund 3341; within 25000 + (652+1300+1827) + 400 = 29179; total 32520.
    b = split_bill(p25, scheme="resident", visit_type="outpatient", level=1, retiree=False,
                   lines=lines(("210300001", 1, 25000), ("XJ01MAL001A001", 2, 3260), ("250102001", 1, 1000)),
                   ytd=a.accumulators_after)
    assert [parts(ln) for ln in b.lines] == [
        (25000, 0, 2500, 22500, 0, 0, 0),
        (6520, 0, 652, 1300, 1827, 0, 2741),
        (1000, 0, 0, 0, 400, 0, 600),
    ]
    assert totals(b) == (32520, 3341, 29179, 0)
    assert b.accumulators_after == Accumulators(2025, {"outpatient": 30000}, 3341)


# ---------------------------------------------------------------------------------------------- 3
def test_3_cap_crossing_inpatient(p25: Policy) -> None:
    # Employee inpatient, level 3 (80 %), 2025, new admission (deductible ¥1,200 = 120000); the fund has
    # paid ¥299,000 of the ¥300,000 cap: 100000 left.
    # L1 general anaesthesia 120000: all deductible; fund 0.
    # L2 appendectomy 150000: share 80 % = 120000, cap leaves 100000 → fund 100000, over cap 20000,
    #    coinsurance 30000.
    # L3 bed 5 days × 6000 = 30000: share 24000 but cap reached → fund 0, over cap 24000, coinsurance 6000.
    # fund 100000; within 120000 + 50000 + 30000 = 200000; total 300000.
    s = split_bill(p25, scheme="employee", visit_type="inpatient", level=3, retiree=False,
                   lines=lines(("330100005", 1, 120000), ("331003001", 1, 150000), ("110900001", 5, 6000)),
                   ytd=Accumulators(2025, {}, 29_900_000))
    assert [parts(ln) for ln in s.lines] == [
        (120000, 0, 0, 120000, 0, 0, 0),
        (150000, 0, 0, 0, 30000, 20000, 100000),
        (30000, 0, 0, 0, 6000, 24000, 0),
    ]
    assert totals(s) == (300000, 100000, 200000, 0)
    assert s.over_cap_fen == 44000
    assert s.accumulators_after == Accumulators(2025, {}, 30_000_000)  # exactly the cap, never above
    assert s.admission_deductible_used_after_fen == 120000


def bill4(p25: Policy) -> BillSplit:
    return split_bill(p25, scheme="employee", visit_type="outpatient", level=1, retiree=False,
                      lines=lines(("110200006", 1, 30000),        # VIP consultation, 丙, free price
                                  ("XJ05AHO001A001", 2, 4200),    # oseltamivir, 乙 10 %, standard ¥35
                                  ("XJ01CAA040A001", 3, 980),     # amoxicillin, 甲, standard ¥8.50
                                  ("XA11GAV001A001", 1, 2580)),   # vitamin C effervescent, 丙
                      ytd=Accumulators(2025, {"outpatient": 180000}, 50000))


# ---------------------------------------------------------------------------------------------- 4
def test_4_category_c_and_over_standard_prices(p25: Policy) -> None:
    # Employee outpatient, level 1 (90 %), 2025; deductible already used up.
    # L1 VIP consultation 30000 丙: all outside the policy.
    # L2 oseltamivir 2 × 4200 = 8400; standard 3500 → outside 2 × 700 = 1400; eligible 7000;
    #    self-pay-first 700; 6300 × 90 % = 5670 fund, coinsurance 630.
    # L3 amoxicillin 3 × 980 = 2940; standard 850 → outside 3 × 130 = 390; eligible 2550 × 90 % = 2295,
    #    coinsurance 255.
    # L4 vitamin C 2580 丙: outside.
    # fund 7965; outside 34370; within 700+630+255 = 1585; total 43920.
    s = bill4(p25)
    assert [parts(ln) for ln in s.lines] == [
        (30000, 30000, 0, 0, 0, 0, 0),
        (8400, 1400, 700, 0, 630, 0, 5670),
        (2940, 390, 0, 0, 255, 0, 2295),
        (2580, 2580, 0, 0, 0, 0, 0),
    ]
    assert totals(s) == (43920, 7965, 1585, 34370)
    assert s.accumulators_after == Accumulators(2025, {"outpatient": 180000}, 57965)


# ---------------------------------------------------------------------------------------------- 5
def test_5_retiree_ratio(p25: Policy) -> None:
    # Employee outpatient, level 2, 2025, deductible used up. Consultation 4500; rosuvastatin 2 × 4680 =
    # 9360 乙 (self-pay-first 936, 8424 left); glucose 600.
    # Working (80 %): 3600/900; 8424 × 80 % = 6739.2 → 6739, coinsurance 1685; 480/120.
    #   fund 10819, within 900 + 936 + 1685 + 120 = 3641.
    # Retiree (88 %): 3960/540; 8424 × 88 % = 7413.12 → 7413, coinsurance 1011; 528/72.
    #   fund 11901, within 540 + 936 + 1011 + 72 = 2559.
    bill = lines(("110200002", 1, 4500), ("XC10AAR001A001", 2, 4680), ("250301001", 1, 600))
    ytd = Accumulators(2025, {"outpatient": 180000}, 0)
    working = split_bill(p25, scheme="employee", visit_type="outpatient", level=2, retiree=False, lines=bill, ytd=ytd)
    retired = split_bill(p25, scheme="employee", visit_type="outpatient", level=2, retiree=True, lines=bill, ytd=ytd)
    assert [parts(ln) for ln in working.lines] == [
        (4500, 0, 0, 0, 900, 0, 3600), (9360, 0, 936, 0, 1685, 0, 6739), (600, 0, 0, 0, 120, 0, 480)]
    assert [parts(ln) for ln in retired.lines] == [
        (4500, 0, 0, 0, 540, 0, 3960), (9360, 0, 936, 0, 1011, 0, 7413), (600, 0, 0, 0, 72, 0, 528)]
    assert totals(working) == (14460, 10819, 3641, 0)
    assert totals(retired) == (14460, 11901, 2559, 0)
    assert [ln.ratio_bp for ln in retired.lines] == [8800] * 3


# ---------------------------------------------------------------------------------------------- 6
def test_6_inpatient_per_admission_deductible_over_two_bills(p25: Policy) -> None:
    # Employee inpatient, level 1 (deductible ¥400 = 40000 per admission, 90 %), 2025.
    # Bill 1 (first of the admission): bed 3 × 6000 = 18000, nursing 3 × 3000 = 9000, saline 6 × 350 = 2100:
    #   29100 all to the admission's deductible; fund 0; the year's accumulators do not move.
    b1 = split_bill(p25, scheme="employee", visit_type="inpatient", level=1, retiree=False,
                    lines=lines(("110900001", 3, 6000), ("120100002", 3, 3000), ("XB05BBA001B001", 6, 350)),
                    ytd=Accumulators.zero(2025))
    assert totals(b1) == (29100, 0, 29100, 0)
    assert b1.admission_deductible_used_after_fen == 29100
    assert b1.accumulators_after == Accumulators.zero(2025)
    # Bill 2 (same admission, 10900 of the deductible left):
    # L1 inpatient consultation 4 × 2500 = 10000: all deductible (900 left).
    # L2 cefuroxime 8 × 520 = 4160 (at its standard): deductible 900; 3260 × 90 % = 2934 fund, 326 coins.
    b2 = split_bill(p25, scheme="employee", visit_type="inpatient", level=1, retiree=False,
                    lines=lines(("110300001", 4, 2500), ("XJ01DCF001B001", 8, 520)),
                    ytd=b1.accumulators_after, admission_deductible_used_fen=b1.admission_deductible_used_after_fen)
    assert [parts(ln) for ln in b2.lines] == [
        (10000, 0, 0, 10000, 0, 0, 0), (4160, 0, 0, 900, 326, 0, 2934)]
    assert totals(b2) == (14160, 2934, 11226, 0)
    assert b2.admission_deductible_used_after_fen == 40000
    assert b2.accumulators_after == Accumulators(2025, {}, 2934)
    # The same first bill at level 3 meets a ¥1,200 deductible: 29100 still all deductible, 90900 left after.
    b3 = split_bill(p25, scheme="employee", visit_type="inpatient", level=3, retiree=False,
                    lines=lines(("110900001", 3, 6000), ("120100002", 3, 3000), ("XB05BBA001B001", 6, 350)),
                    ytd=Accumulators.zero(2025))
    assert b3.admission_deductible_used_after_fen == 29100 and b3.fund_fen == 0


# ---------------------------------------------------------------------------------------------- 7
def test_7_pharmacy_shares_the_outpatient_deductible_and_rounds_half_up(p25: Policy) -> None:
    # Employee at a retail pharmacy (level 0, 50 %), 2025; the outpatient pool has 179000 used: 1000 left.
    # L1 aspirin 1535: deductible 1000; 535 × 50 % = 267.5 → 268 fund (half up), coinsurance 267.
    # L2 nifedipine 2 × 3120 = 6240: 3120 fund, 3120 coinsurance.
    # L3 Lianhua Qingwen 1480 乙: self-pay-first 148; 1332 × 50 % = 666 fund, 666 coinsurance.
    # fund 4054; within 1000+267+3120+148+666 = 5201; total 9255.
    s = split_bill(p25, scheme="employee", visit_type="pharmacy", level=0, retiree=False,
                   lines=lines(("XB01ACA001A001", 1, 1535), ("XC08CAN001A002", 2, 3120), ("ZA01BAL0012", 1, 1480)),
                   ytd=Accumulators(2025, {"outpatient": 179000}, 0))
    assert [parts(ln) for ln in s.lines] == [
        (1535, 0, 0, 1000, 267, 0, 268), (6240, 0, 0, 0, 3120, 0, 3120), (1480, 0, 148, 0, 666, 0, 666)]
    assert totals(s) == (9255, 4054, 5201, 0)
    assert s.accumulators_after == Accumulators(2025, {"outpatient": 180000}, 4054)


# ---------------------------------------------------------------------------------------------- 8
def test_8_resident_against_employee(p25: Policy) -> None:
    # Outpatient level 3, 2025, deductibles used up: consultation 2500, ibuprofen 1850, ultrasound 8000.
    # Employee 70 %: 1750/750, 1295/555, 5600/2400 → fund 8645, within 3705.
    # Resident 50 %: 1250/1250, 925/925, 4000/4000 → fund 6175, within 6175.
    bill = lines(("110200001", 1, 2500), ("XM01AEB001A002", 1, 1850), ("220301001", 1, 8000))
    emp = split_bill(p25, scheme="employee", visit_type="outpatient", level=3, retiree=False, lines=bill,
                     ytd=Accumulators(2025, {"outpatient": 180000}, 0))
    res = split_bill(p25, scheme="resident", visit_type="outpatient", level=3, retiree=False, lines=bill,
                     ytd=Accumulators(2025, {"outpatient": 30000}, 0))
    assert [ln.fund_fen for ln in emp.lines] == [1750, 1295, 5600]
    assert [ln.fund_fen for ln in res.lines] == [1250, 925, 4000]
    assert totals(emp) == (12350, 8645, 3705, 0)
    assert totals(res) == (12350, 6175, 6175, 0)
    # A retiree flag means nothing to the resident scheme (no retiree table): same figures.
    res_r = split_bill(p25, scheme="resident", visit_type="outpatient", level=3, retiree=True, lines=bill,
                       ytd=Accumulators(2025, {"outpatient": 30000}, 0))
    assert totals(res_r) == totals(res)


HUIMIN = CommercialProduct(product_id="pc-huiminbao-2025", ratio_bp=8000, deductible_fen=20000,
                           annual_limit_fen=1_000_000, covers_outside=True, excluded_categories=frozenset({"C"}))


# ---------------------------------------------------------------------------------------------- 9
def test_9_commercial_cover_deductible_limit_exclusions(p25: Policy) -> None:
    s = bill4(p25)
    # 惠民保-like product: 80 % of within + outside, ¥200 deductible a year, 丙 excluded. 19000 of its
    # deductible used: 1000 left.
    # L1 丙: excluded. L2: within 1330 + outside 1400 = 2730; deductible 1000; 1730 × 80 % = 1384.
    # L3: within 255 + outside 390 = 645 × 80 % = 516. L4 丙: excluded. Total 1900.
    c = commercial_cover(HUIMIN, s, CommercialAccumulators(2025, 19000, 0))
    assert dict(c.per_line) == {2: (1000, 1384), 3: (0, 516)}
    assert c.total_fen == 1900
    assert c.accumulators_after == CommercialAccumulators(2025, 20000, 1900)
    # Annual limit ¥10,000 with ¥9,990 paid: 1000 left → L2 pays 1000 (not 1384), L3 nothing.
    c2 = commercial_cover(HUIMIN, s, CommercialAccumulators(2025, 20000, 999_000))
    # deductible used up: L2 2730 × 80 % = 2184 → limited to 1000; L3 516 → 0.
    assert dict(c2.per_line) == {2: (0, 1000)}
    assert c2.accumulators_after == CommercialAccumulators(2025, 20000, 1_000_000)
    # A within-only product, 50 %, no deductible, amoxicillin excluded by code: L2 1330 × 50 % = 665.
    within_only = CommercialProduct(product_id="p2", ratio_bp=5000, deductible_fen=0, annual_limit_fen=500000,
                                    excluded_codes=frozenset({"XJ01CAA040A001"}))
    c3 = commercial_cover(within_only, s, CommercialAccumulators.zero(2025))
    assert dict(c3.per_line) == {2: (0, 665)} and c3.total_fen == 665
    # A product for inpatient stays only pays nothing for this outpatient bill.
    inpatient_only = CommercialProduct(product_id="p3", ratio_bp=10000, deductible_fen=0, annual_limit_fen=10**6,
                                       visit_types=frozenset({"inpatient"}))
    assert commercial_cover(inpatient_only, s, CommercialAccumulators.zero(2025)).total_fen == 0
    # Two covers: the second one (within-only, 50 %) is computed on what the first one left. After HUIMIN
    # (1384 on L2 taken from its 1400 outside part first), L2 keeps all 1330 within → 665; on L3 HUIMIN's 516
    # takes the 390 outside and 126 of the within 255 → 129 left, but amoxicillin is excluded for p2.
    c4 = commercial_cover(within_only, s, CommercialAccumulators.zero(2025), prior=[c])
    assert dict(c4.per_line) == {2: (0, 665)}


# ---------------------------------------------------------------------------------------------- 10
def test_10_payers_commercial_personal_and_family_accounts(p25: Policy) -> None:
    s = bill4(p25)
    c = commercial_cover(HUIMIN, s, CommercialAccumulators(2025, 19000, 0))
    # Own personal account ¥10 (within only, 2025), a relative's ¥50 (within only), then the wallet.
    # L1 (30000 outside): wallet 30000.
    # L2 (fund 5670, within 1330, outside 1400): commercial 1384 from outside (16 outside left);
    #    own account 1000 of the within (balance 0); relative 330; wallet 16.
    # L3 (fund 2295, within 255, outside 390): commercial 516 = 390 outside + 126 within; 129 within left;
    #    own account empty; relative 129; wallet 0.
    # L4: wallet 2580.
    a = allocate_payers(s, covers=[("commercial:POL1", c)],
                        accounts=[PayerSource("personal_account", 1000, WITHIN),
                                  PayerSource("family:C-FATHER", 5000, WITHIN)], last="wallet")
    assert a.for_line(1) == {"wallet": 30000}
    assert a.for_line(2) == {"fund": 5670, "commercial:POL1": 1384, "personal_account": 1000,
                             "family:C-FATHER": 330, "wallet": 16}
    assert a.for_line(3) == {"fund": 2295, "commercial:POL1": 516, "family:C-FATHER": 129}
    assert a.for_line(4) == {"wallet": 2580}
    assert dict(a.totals) == {"fund": 7965, "commercial:POL1": 1900, "personal_account": 1000,
                              "family:C-FATHER": 459, "wallet": 32596}
    assert sum(a.totals.values()) == 43920
    # Under 2026's rule the account may also pay outside the policy: with ¥400 it pays everything the fund
    # does not (43920 − 7965 = 35955), line by line: 30000, 2730, 645, 2580; 4045 stays on the account.
    b = allocate_payers(s, accounts=[PayerSource("personal_account", 40000, BOTH)], last="credit_line")
    assert dict(b.totals) == {"fund": 7965, "personal_account": 35955}
    assert [b.for_line(n).get("personal_account") for n in (1, 2, 3, 4)] == [30000, 2730, 645, 2580]
    # An empty account: the credit line (treat first, pay later) takes the whole self-pay.
    d = allocate_payers(s, accounts=[PayerSource("personal_account", 0, WITHIN)], last="credit_line")
    assert dict(d.totals) == {"fund": 7965, "credit_line": 35955}


# ---------------------------------------------------------------------------------------------- 11
def test_11_refund_whole_bill_and_some_lines(p25: Policy) -> None:
    s = bill1(p25)
    # Personal account ¥1,000 pays all within-policy self-pay: 6000, 35300, 4403, 600 = 46303.
    a = allocate_payers(s, accounts=[PayerSource("personal_account", 100000, WITHIN)])
    assert dict(a.totals) == {"fund": 23597, "personal_account": 46303}
    ytd_now = s.accumulators_after  # {"outpatient": 180000}, fund 23597
    # Whole bill: every payer back exactly, accumulators back to before the bill (150000, 0).
    whole = reverse(s.lines, a.shares, line_nos=None, ytd=ytd_now, commercial={})
    assert dict(whole.refund_by_payer) == {"fund": 23597, "personal_account": 46303}
    assert whole.accumulators_after == Accumulators(2025, {"outpatient": 150000}, 0)
    assert whole.total_fen == 69900
    # Lines 2 and 4: fund 14700 + 1400 = 16100, account 35300 + 600 = 35900; line 2's 24000 deductible goes
    # back (180000 → 156000) and the fund's 16100 (23597 → 7497).
    some = reverse(s.lines, a.shares, line_nos=[2, 4], ytd=ytd_now, commercial={})
    assert dict(some.refund_by_payer) == {"fund": 16100, "personal_account": 35900}
    assert some.accumulators_after == Accumulators(2025, {"outpatient": 156000}, 7497)
    # Then the rest (lines 1 and 3): 6000 deductible and 7497 fund back — the two refunds make the whole.
    rest = reverse(s.lines, a.shares, line_nos=[1, 3], ytd=some.accumulators_after, commercial={})
    assert dict(rest.refund_by_payer) == {"fund": 7497, "personal_account": 10403}
    assert rest.accumulators_after == Accumulators(2025, {"outpatient": 150000}, 0)


def test_11b_refund_with_commercial_and_family(p25: Policy) -> None:
    s = bill4(p25)
    acc = CommercialAccumulators(2025, 19000, 0)
    c = commercial_cover(HUIMIN, s, acc)
    a = allocate_payers(s, covers=[("commercial:POL1", c)],
                        accounts=[PayerSource("personal_account", 1000, WITHIN),
                                  PayerSource("family:C-FATHER", 5000, WITHIN)])
    # Refund line 2 only: fund 5670, commercial 1384, own account 1000, relative 330, wallet 16 = 8400.
    # The commercial policy gives back its 1000 deductible and 1384 paid: (20000, 1900) → (19000, 516).
    # Basic accumulators: line 2 took no deductible, fund 57965 → 52295.
    r = reverse(s.lines, a.shares, line_nos=[2], ytd=s.accumulators_after,
                commercial={"commercial:POL1": (c, c.accumulators_after)})
    assert dict(r.refund_by_payer) == {"fund": 5670, "commercial:POL1": 1384, "personal_account": 1000,
                                       "family:C-FATHER": 330, "wallet": 16}
    assert r.commercial_after == {"commercial:POL1": CommercialAccumulators(2025, 19000, 516)}
    assert r.accumulators_after == Accumulators(2025, {"outpatient": 180000}, 52295)


# ---------------------------------------------------------------------------------------------- 12
def test_12_year_rollover_dec_31_against_jan_1(p25: Policy, p26: Policy) -> None:
    # The same bill, employee outpatient level 3, by someone whose 2025 deductible is used up and whose
    # fund has paid ¥2,000 in 2025: consultation 2500, atorvastatin 2 × 1190 = 2380, HbA1c 5500 (乙 10 %).
    bill = lines(("110200001", 1, 2500), ("XC10AAA001A001", 2, 1190), ("250305001", 1, 5500))
    acc2025 = Accumulators(2025, {"outpatient": 180000}, 200000)
    # 31 Dec 2025, 2025 policy (70 %): 1750/750; atorvastatin 乙: self-pay-first 238, 2142 × 70 % = 1499.4
    # → 1499, coins 643; HbA1c: self-pay-first 550, 4950 × 70 % = 3465, coins 1485.
    # fund 6714; within 750+238+643+550+1485 = 3666.
    dec = split_bill(p25, scheme="employee", visit_type="outpatient", level=3, retiree=False, lines=bill, ytd=acc2025)
    assert [parts(ln) for ln in dec.lines] == [
        (2500, 0, 0, 0, 750, 0, 1750), (2380, 0, 238, 0, 643, 0, 1499), (5500, 0, 550, 0, 1485, 0, 3465)]
    assert totals(dec) == (10380, 6714, 3666, 0)
    assert dec.accumulators_after == Accumulators(2025, {"outpatient": 180000}, 206714)
    # 1 Jan 2026, 2026 policy: new accumulators from zero; deductible ¥1,500; atorvastatin is now 甲.
    # 2500 + 2380 to the deductible; HbA1c: self-pay-first 550, 4950 to the deductible. fund 0.
    ytd26 = dec.accumulators_after.for_year(2026)
    assert ytd26 == Accumulators.zero(2026)
    jan = split_bill(p26, scheme="employee", visit_type="outpatient", level=3, retiree=False, lines=bill, ytd=ytd26)
    assert [parts(ln) for ln in jan.lines] == [
        (2500, 0, 0, 2500, 0, 0, 0), (2380, 0, 0, 2380, 0, 0, 0), (5500, 0, 550, 4950, 0, 0, 0)]
    assert totals(jan) == (10380, 0, 10380, 0)
    assert jan.accumulators_after == Accumulators(2026, {"outpatient": 9830}, 0)
    assert jan.policy_key == "pengcheng/2026/v1"
    # The December bill refunded in January moves the 2025 accumulators back, not the 2026 ones.
    shares = [PayerShare("fund", ln.line_no, ln.fund_fen) for ln in dec.lines] + [
        PayerShare("wallet", ln.line_no, ln.amount_fen - ln.fund_fen) for ln in dec.lines]
    r = reverse(dec.lines, shares, ytd=dec.accumulators_after)
    assert r.accumulators_after == acc2025
    assert dict(r.refund_by_payer) == {"fund": 6714, "wallet": 3666}


# ---------------------------------------------------------------------------------------------- 13
def test_13_resident_inpatient_reaches_the_cap(p25: Policy) -> None:
    # Resident inpatient, level 2 (deductible ¥600 per admission, 75 %), 2025; ¥199,500 of the ¥200,000 cap
    # used: 50000 left.
    # L1 laparoscopic appendectomy 250000 乙: self-pay-first 25000; 225000; deductible 60000; 165000 × 75 %
    #    = 123750 share, coinsurance 41250; cap → fund 50000, over cap 73750.
    # L2 saline 4 × 350 = 1400: share 1050, coinsurance 350; cap reached → over cap 1050.
    # fund 50000; within 25000+60000+41250+73750+350+1050 = 201400; total 251400.
    s = split_bill(p25, scheme="resident", visit_type="inpatient", level=2, retiree=False,
                   lines=lines(("331003002", 1, 250000), ("XB05BBA001B001", 4, 350)),
                   ytd=Accumulators(2025, {}, 19_950_000))
    assert [parts(ln) for ln in s.lines] == [
        (250000, 0, 25000, 60000, 41250, 73750, 50000), (1400, 0, 0, 0, 350, 1050, 0)]
    assert totals(s) == (251400, 50000, 201400, 0)
    assert s.accumulators_after.fund_paid_fen == 20_000_000
    # The next bill that year: the fund pays nothing, the whole share is over the cap (8000 × 75 % = 6000).
    nxt = split_bill(p25, scheme="resident", visit_type="inpatient", level=2, retiree=False,
                     lines=lines(("220301001", 1, 8000)), ytd=s.accumulators_after, admission_deductible_used_fen=60000)
    assert [parts(ln) for ln in nxt.lines] == [(8000, 0, 0, 0, 2000, 6000, 0)]


# ---------------------------------------------------------------------------------------------- 14
def test_14_material_and_bed_over_standard_retiree_2026(p26: Policy) -> None:
    # Employee retiree, inpatient level 3 (deductible ¥1,200 per admission, retiree 88 %), 2026.
    # L1 premium intraocular lens 680000, standard 150000 → outside 530000; eligible 150000; self-pay-first
    #    20 % = 30000; 120000 all to the deductible; fund 0.
    # L2 single room 2 × 30000 = 60000 (list ¥300, standard ¥60) → outside 2 × 24000 = 48000; eligible
    #    12000 × 88 % = 10560 fund, coinsurance 1440.
    # L3 saline 2 × 350 = 700 × 88 % = 616, coinsurance 84.
    # fund 11176; outside 578000; within 30000+120000+1440+84 = 151524; total 740700.
    s = split_bill(p26, scheme="employee", visit_type="inpatient", level=3, retiree=True,
                   lines=lines(("C1003010020001", 1, 680000), ("110900002", 2, 30000), ("XB05BBA001B001", 2, 350)),
                   ytd=Accumulators.zero(2026))
    assert [parts(ln) for ln in s.lines] == [
        (680000, 530000, 30000, 120000, 0, 0, 0), (60000, 48000, 0, 0, 1440, 0, 10560), (700, 0, 0, 0, 84, 0, 616)]
    assert totals(s) == (740700, 11176, 151524, 578000)


# ---------------------------------------------------------------------------------------------- 15
def test_15_chronic_has_no_deductible(p26: Policy) -> None:
    # Resident chronic-disease outpatient (门特), level 2 (65 %), 2026, no deductible:
    # haemodialysis 40000 → 26000 fund, 14000 coinsurance; 2 infusion sets × 300 = 600 → 390 / 210.
    s = split_bill(p26, scheme="resident", visit_type="chronic", level=2, retiree=False,
                   lines=lines(("311000006", 1, 40000), ("C1401010010001", 2, 300)), ytd=Accumulators.zero(2026))
    assert [parts(ln) for ln in s.lines] == [(40000, 0, 0, 0, 14000, 0, 26000), (600, 0, 0, 0, 210, 0, 390)]
    assert totals(s) == (40600, 26390, 14210, 0)
    assert s.accumulators_after == Accumulators(2026, {}, 26390)


# ---------------------------------------------------------------------------------------------- 16
def test_16_stent_standard_2025_against_2026(p25: Policy, p26: Policy) -> None:
    # Employee inpatient level 2 (85 %), admission deductible already met, one stent at ¥760.
    # 2025 standard ¥800: eligible 76000; self-pay-first 7600; 68400 × 85 % = 58140 fund, coinsurance 10260.
    # 2026 standard ¥700: outside 6000; eligible 70000; self-pay-first 7000; 63000 × 85 % = 53550, coins 9450.
    bill = lines(("C0201010030002", 1, 76000))
    kw = {"scheme": "employee", "visit_type": "inpatient", "level": 2, "retiree": False, "lines": bill,
          "admission_deductible_used_fen": 80000}
    s25 = split_bill(p25, ytd=Accumulators.zero(2025), **kw)  # type: ignore[arg-type]
    s26 = split_bill(p26, ytd=Accumulators.zero(2026), **kw)  # type: ignore[arg-type]
    assert [parts(ln) for ln in s25.lines] == [(76000, 0, 7600, 0, 10260, 0, 58140)]
    assert [parts(ln) for ln in s26.lines] == [(76000, 6000, 7000, 0, 9450, 0, 53550)]
