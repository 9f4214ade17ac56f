"""Insurers' products: validation, one code per insurer, immutable versions."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from onecity import clock
from onecity.ledger import service as ledger
from onecity.medinsure.commercial import service as commercial
from onecity.medinsure.commercial.errors import NotAnInsurer, ProductExists, ProductInvalid, ProductSuperseded
from tests.identity.factories import make_citizen
from tests.identity.orgs.factories import make_org
from tests.medinsure.commercial.factories import make_insurer, make_policy, make_product


@pytest.mark.parametrize(("terms", "field"), [
    ({"ratio_bp": 0}, "ratio_bp"),
    ({"ratio_bp": 10_001}, "ratio_bp"),
    ({"ratio_bp": 80.0}, None),  # money and ratios are integers, never floats
    ({"deductible_fen": -1}, "deductible_fen"),
    ({"annual_limit_fen": 0}, "annual_limit_fen"),
    ({"annual_limit_fen": 10**11}, "annual_limit_fen"),
    ({"excluded_categories": ["D"]}, "excluded_categories"),
    ({"excluded_categories": ["A", "B", "C"]}, "excluded_categories"),
    ({"visit_types": []}, "visit_types"),
    ({"visit_types": ["dental"]}, "visit_types"),
    ({"excluded_codes": ["bad code!"]}, "excluded_codes"),
])
def test_invalid_terms_are_refused_and_nothing_is_defined(session, terms, field):
    insurer = make_insurer(session)
    with pytest.raises(ProductInvalid) as exc:
        make_product(session, insurer, **terms)
    assert exc.value.extra.get("field") == field
    assert commercial.list_products(session, insurer_org_id=insurer.public_id) == []


def test_bad_code_and_duplicate_code(session):
    insurer = make_insurer(session)
    with pytest.raises(ProductInvalid):
        make_product(session, insurer, code="惠民 保")
    make_product(session, insurer, code="HM-2026")
    with pytest.raises(ProductExists):
        make_product(session, insurer, code="HM-2026", ratio_bp=5000)
    other = make_insurer(session)  # another insurer may use the same code
    assert make_product(session, other, code="HM-2026").version == 1


def test_only_insurers_define_products(session):
    merchant = make_org(session, kind="merchant")
    with pytest.raises(NotAnInsurer):
        make_product(session, merchant)


def test_product_is_normalised_and_opens_the_insurer_account(session):
    insurer = make_insurer(session)
    p = make_product(session, insurer, excluded_codes=["Z9", "A1", "Z9"], excluded_categories=["C"],
                     visit_types=["inpatient", "outpatient", "inpatient"], covers_outside=True)
    assert (p.code, p.version, p.status) == ("HUIMIN", 1, "active")
    assert p.excluded_codes == ["A1", "Z9"] and p.visit_types == ["inpatient", "outpatient"]
    account = ledger.get_account(session, commercial.insurer_account_id(session, insurer.public_id))
    assert (account.code, account.key, account.owner) == ("insurer", f"insurer:{insurer.public_id}:CNY",
                                                          insurer.public_id)
    rp = commercial.rules_product(p)
    assert rp.excluded_codes == frozenset({"A1", "Z9"}) and rp.covers_outside and rp.ratio_bp == 8000


def test_revision_is_a_new_version_and_old_policies_keep_their_terms(session):
    clock.freeze(datetime(2026, 3, 1, 4, tzinfo=UTC))
    insurer = make_insurer(session)
    v1 = make_product(session, insurer, ratio_bp=8000)
    c1 = make_citizen(session)
    make_policy(session, insurer, c1.public_id, v1, start=date(2026, 1, 1), end=date(2026, 12, 31))
    v2 = commercial.revise_product(session, insurer_org_id=insurer.public_id, product_id=v1.product_id,
                                   name_zh="惠民保2026", name_en="Huiminbao 2026", ratio_bp=7000,
                                   deductible_fen=20_000, annual_limit_fen=1_000_000)
    assert (v2.code, v2.version, v2.ratio_bp) == ("HUIMIN", 2, 7000) and v2.product_id != v1.product_id
    assert commercial.get_product(session, product_id=v1.product_id).status == "superseded"
    assert [p.version for p in commercial.list_products(session, insurer_org_id=insurer.public_id)] == [2]
    assert [p.version for p in commercial.list_products(session, insurer_org_id=insurer.public_id,
                                                        include_superseded=True)] == [1, 2]
    with pytest.raises(ProductSuperseded):  # no new policies on an old version
        make_policy(session, insurer, make_citizen(session).public_id, v1, start=date(2026, 3, 1),
                    end=date(2026, 12, 31))
    with pytest.raises(ProductSuperseded):  # and no second revision of it
        commercial.revise_product(session, insurer_org_id=insurer.public_id, product_id=v1.product_id,
                                  name_zh="x", name_en="x", ratio_bp=1, deductible_fen=0, annual_limit_fen=1)
    (cover,) = commercial.covers_for(session, citizen_id=c1.public_id, on=date(2026, 3, 1))
    assert (cover.product.product_id, cover.product.ratio_bp, cover.product.deductible_fen) == (v1.product_id, 8000,
                                                                                                10_000)
