"""Bad input gets a clear error and changes nothing: fee lines (unknown code, quantity < 1, a price other
than the list price, a repeated line), steps out of order, refunds of unknown lines."""

from __future__ import annotations

import pytest

from onecity.ledger import service as ledger
from onecity.medinsure import errors
from onecity.medinsure import service as med
from tests.medinsure.factories import make_insured, open_visit

GOOD = [{"line_no": 1, "code": "110200001", "quantity": 1, "unit_price_fen": 2500},
        {"line_no": 2, "code": "XB01ACA001A001", "quantity": 2, "unit_price_fen": 1500}]


@pytest.mark.parametrize(("line", "error", "reason"), [
    ({"code": "NOPE-1", "quantity": 1, "unit_price_fen": 100}, errors.UnknownCatalogueCode, "unknown_code"),
    ({"code": "XB01ACA001A001", "quantity": 0, "unit_price_fen": 1500}, errors.QuantityInvalid, "bad_quantity"),
    ({"code": "XB01ACA001A001", "quantity": -2, "unit_price_fen": 1500}, errors.QuantityInvalid, "bad_quantity"),
    ({"code": "110200001", "quantity": 1, "unit_price_fen": 2600}, errors.PriceMismatch, "price_mismatch"),
    ({"code": "XB01ACA001A001", "quantity": 1, "unit_price_fen": 0}, errors.PriceInvalid, "bad_price"),
])
def test_a_bad_line_refuses_the_upload_and_keeps_the_old_lines(session, city, line, error, reason):
    p = make_insured(session)
    h3 = city.hospital3.public_id
    vid = open_visit(session, city, p, lines=GOOD)
    before = med.get_visit(session, visit_id=vid)
    with pytest.raises(error) as caught:
        med.upload_fees(session, institution_org_id=h3, visit_id=vid, lines=[GOOD[0], {**line, "line_no": 2}])
    assert caught.value.extra["reason"] == reason and caught.value.extra["line_no"] == 2
    after = med.get_visit(session, visit_id=vid)
    assert after.lines == before.lines and after.total_fen == 5_500 and after.status == "billed"


def test_a_repeated_line_number_is_refused(session, city):
    p = make_insured(session)
    vid = open_visit(session, city, p)
    with pytest.raises(errors.FeeLineInvalid) as caught:
        med.upload_fees(session, institution_org_id=city.hospital3.public_id, visit_id=vid,
                        lines=[GOOD[0], {**GOOD[1], "line_no": 1}])
    assert caught.value.extra["reason"] == "duplicate_line"
    assert med.get_visit(session, visit_id=vid).lines == []


def test_steps_out_of_order_and_other_institutions(session, city):
    p = make_insured(session, wallet=10_000)
    h3, h2 = city.hospital3.public_id, city.hospital2.public_id
    vid = open_visit(session, city, p)
    with pytest.raises(errors.VisitStateInvalid):  # no fees yet
        med.presettle(session, institution_org_id=h3, visit_id=vid)
    med.upload_fees(session, institution_org_id=h3, visit_id=vid, lines=GOOD)
    with pytest.raises(errors.VisitStateInvalid):  # not pre-settled
        med.confirm(session, citizen_id=p.id, visit_id=vid)
    with pytest.raises(errors.VisitNotFound):  # another hospital cannot see it
        med.presettle(session, institution_org_id=h2, visit_id=vid)
    stranger = make_insured(session)
    med.presettle(session, institution_org_id=h3, visit_id=vid)
    with pytest.raises(errors.VisitNotFound):  # nor another citizen
        med.confirm(session, citizen_id=stranger.id, visit_id=vid)
    s = med.confirm(session, citizen_id=p.id, visit_id=vid)
    with pytest.raises(errors.VisitStateInvalid):  # a settled bill's fees are final
        med.upload_fees(session, institution_org_id=h3, visit_id=vid, lines=GOOD)
    with pytest.raises(errors.SettlementNotFound):
        med.refund(session, institution_org_id=h2, settlement_id=s.settlement_id)
    with pytest.raises(errors.RefundLinesInvalid):
        med.refund(session, institution_org_id=h3, settlement_id=s.settlement_id, line_nos=[])
    with pytest.raises(errors.RefundLinesInvalid):
        med.refund(session, institution_org_id=h3, settlement_id=s.settlement_id, line_nos=[1, 1])
    assert med.get_settlement(session, settlement_id=s.settlement_id).refunded_fen == 0
    whole = med.refund(session, institution_org_id=h3, settlement_id=s.settlement_id)
    assert whole.total_fen == 5_500 and whole.line_nos == [1, 2]
    with pytest.raises(errors.RefundExceedsBill):
        med.refund(session, institution_org_id=h3, settlement_id=s.settlement_id)
    assert ledger.check(session) == []


def test_a_visit_type_the_scheme_does_not_cover(session, city):
    p = make_insured(session, scheme="resident")
    with pytest.raises(errors.VisitTypeInvalid):
        open_visit(session, city, p, visit_type="dental")
