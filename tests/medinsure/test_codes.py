"""The insurance code: activation by face grant, what the code reveals, expiry, one-time use, forgery,
a guardian showing a relative's code, and the QR rendering."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
import segno  # noqa: F401 - the renderer the page layer uses
from hypothesis import given, settings
from hypothesis import strategies as st

from onecity import clock
from onecity.identity.face.service import FaceGrantInvalid
from onecity.medinsure import errors
from onecity.medinsure import service as med
from onecity.medinsure.service import signing_key
from tests.identity.family.factories import make_face_grant, person
from tests.medinsure.factories import code_for, link_pay_medical, make_insured

_B64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


def _payload(text: str) -> dict:
    return json.loads(signing_key.b64url_decode(text.split(".")[1]))


def test_activation_needs_a_face_grant_for_this_act(session, city):
    p = make_insured(session, activated=False)
    with pytest.raises(errors.CodeNotActivated):
        med.current_code(session, citizen_id=p.id)
    other_act = make_face_grant(session, p.citizen, act="wallet.withdraw")
    with pytest.raises(FaceGrantInvalid):
        med.activate_code(session, citizen_id=p.id, face_grant_id=other_act)
    grant = make_face_grant(session, p.citizen, act="medinsure.activate_code")
    med.activate_code(session, citizen_id=p.id, face_grant_id=grant)
    with pytest.raises(FaceGrantInvalid):  # a grant is used once
        med.activate_code(session, citizen_id=p.id, face_grant_id=grant)
    assert med.get_insured(session, citizen_id=p.id).code_activated


def test_the_code_reveals_only_the_insured_reference(session, city):
    p = make_insured(session)
    out = med.current_code(session, citizen_id=p.id, counter_consent=True, with_svg=True)
    assert out.text.startswith("MI1.") and out.refresh_seconds == 60
    assert out.expires_at == clock.now().replace(microsecond=0) + timedelta(seconds=90)
    body = _payload(out.text)
    assert set(body) == {"c", "i", "n", "s", "k", "t", "e"}
    assert body["i"].startswith("ins_") and body["k"] == 1 and body["s"] == "employee"
    assert p.id not in out.text and p.mobile not in out.text and p.id_number not in out.text
    assert body["n"] != p.name and "*" in body["n"]
    claims = med.verify_code(out.text)
    assert claims.insured_id == body["i"] and claims.counter_consent
    assert out.svg is not None and out.svg.startswith("<svg")
    assert med.code_png(out.text)[:8] == b"\x89PNG\r\n\x1a\n"


def test_expired_replayed_and_forged_codes_are_refused(session, city):
    p = make_insured(session)
    h3 = city.hospital3.public_id
    text = code_for(session, p)
    clock.advance(timedelta(seconds=91))
    with pytest.raises(errors.CodeExpired):
        med.scan_code(session, institution_org_id=h3, code=text, visit_type="outpatient")
    fresh = code_for(session, p)
    med.scan_code(session, institution_org_id=h3, code=fresh, visit_type="outpatient")
    with pytest.raises(errors.CodeUsed):  # a screenshot shown again
        med.scan_code(session, institution_org_id=h3, code=fresh, visit_type="outpatient")
    other = code_for(session, p)
    head, body, sig = other.split(".")
    changed = _payload(other) | {"k": 1}
    forged_body = signing_key.b64url(json.dumps(changed, separators=(",", ":")).encode())
    flipped = sig[:10] + ("B" if sig[10] != "B" else "C") + sig[11:]  # one signature byte changed
    for bad in (f"{head}.{forged_body}.{sig}", f"{head}.{body}.{flipped}", "MI1.e30.xx", "hello", ""):
        with pytest.raises(errors.CodeInvalid):
            med.scan_code(session, institution_org_id=h3, code=bad, visit_type="outpatient")
    # signed by the platform key, but not a code's payload
    for body_json in (b"not json", b'{"c": "mc_1"}', b'{"c":1,"i":2,"s":"x","k":0,"t":"soon","e":0}'):
        message = f"MI1.{signing_key.b64url(body_json)}"
        with pytest.raises(errors.CodeInvalid):
            med.verify_code(f"{message}.{signing_key.sign(message.encode())}")
    # the genuine code is still usable after the failed attempts
    assert med.scan_code(session, institution_org_id=h3, code=other, visit_type="outpatient").status == "open"


def test_a_visit_type_must_fit_the_institution(session, city):
    p = make_insured(session)
    with pytest.raises(errors.VisitTypeInvalid):
        med.scan_code(session, institution_org_id=city.pharmacy.public_id, code=code_for(session, p),
                      visit_type="outpatient")
    with pytest.raises(errors.VisitTypeInvalid):
        med.scan_code(session, institution_org_id=city.hospital3.public_id, code=code_for(session, p),
                      visit_type="pharmacy")
    with pytest.raises(errors.NotAnInstitution):
        med.scan_code(session, institution_org_id="org_nope", code=code_for(session, p), visit_type="outpatient")


def test_a_guardian_shows_a_linked_relatives_code(session, city):
    parent = make_insured(session, born=date(1958, 11, 8), scheme="resident", retiree=True)
    child = make_insured(session)
    stranger = make_insured(session)
    link_pay_medical(session, child, parent, relation="parent")
    out = med.current_code(session, citizen_id=child.id, subject_citizen_id=parent.id)
    assert med.verify_code(out.text).insured_id == med.get_insured(session, citizen_id=parent.id).insured_id
    with pytest.raises(errors.NotAllowedForRelative):
        med.current_code(session, citizen_id=stranger.id, subject_citizen_id=parent.id)
    with pytest.raises(errors.NotAllowedForRelative):  # the link gives the parent nothing over the child
        med.current_code(session, citizen_id=parent.id, subject_citizen_id=child.id)
    v = med.scan_code(session, institution_org_id=city.hospital2.public_id, code=out.text, visit_type="outpatient")
    assert v.scheme == "resident"
    # the guardian who showed the code is asked to confirm
    med.upload_fees(session, institution_org_id=city.hospital2.public_id, visit_id=v.visit_id,
                    lines=[{"code": "110200001", "quantity": 1, "unit_price_fen": 2500}])
    med.presettle(session, institution_org_id=city.hospital2.public_id, visit_id=v.visit_id)
    assert [x.visit_id for x in med.pending_confirmations(session, citizen_id=child.id)] == [v.visit_id]
    assert med.pending_confirmations(session, citizen_id=parent.id) == []


def test_an_unenrolled_or_unverified_person(session, city):
    unverified = person(session, verified=False)
    with pytest.raises(errors.EnrolmentInvalid):
        med.enrol(session, citizen_id=unverified.id, scheme="employee", actor="test")
    p = person(session)
    with pytest.raises(errors.NotInsured):
        med.current_code(session, citizen_id=p.id)
    med.enrol(session, citizen_id=p.id, scheme="employee", actor="test")
    assert med.enrol(session, citizen_id=p.id, scheme="employee", actor="test").scheme == "employee"
    with pytest.raises(errors.AlreadyEnrolled):
        med.enrol(session, citizen_id=p.id, scheme="resident", actor="test")


@settings(max_examples=300, deadline=None)
@given(text=st.one_of(
    st.text(max_size=300),
    st.builds(lambda a, b, c: f"MI1.{a}.{b}{c}", st.text(alphabet=_B64URL, max_size=120),
              st.text(alphabet=_B64URL, max_size=90), st.sampled_from(["", "=", ".", ".x"]))))
def test_fuzz_the_code_parser_refuses_cleanly(text):
    """Whatever a scanner reads, verifying it either yields claims or raises CodeInvalid — never anything else."""
    try:
        med.verify_code(text)
    except errors.CodeInvalid:
        pass
