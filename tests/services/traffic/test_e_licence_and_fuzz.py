"""The electronic driving licence shown from the certificate wallet with this module's points, and
fuzzing of what comes from outside (scanned QR text, plates, decision numbers)."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from onecity.credentials import service as credentials
from onecity.errors import DomainError
from onecity.identity.sessions import create_session
from onecity.services.traffic import qr, rules, service
from tests.credentials.issuer_factories import make_issuer
from tests.services.traffic.factories import Traffic, decide, make_driver


def test_the_traffic_page_links_the_e_licence_and_shows_points(client: Any, session: Any, traffic: Traffic) -> None:
    d = make_driver(session)
    decide(session, traffic, d, code="1240")  # 3 points
    issuer = make_issuer(session)
    cred = credentials.issue_credential(session, issuer_id=issuer.issuer_id, type_id="driving_licence",
                                        citizen_id=d.id, actor="test", claims={
                                            "name": d.person.name, "licence_number": d.person.id_number,
                                            "licence_class": "C1", "valid_from": "2020-03-01",
                                            "valid_until": "2030-03-01", "gender": "女", "nationality": "中国",
                                            "address": "深圳市福田区莲花北村12栋502",
                                            "birth_date": d.person.birth_date.isoformat(),
                                            "first_issue_date": "2020-03-01", "issuing_authority": "深圳市公安局交通警察支队",
                                            "file_number": "440300123456"})
    assert service.my_traffic(session, citizen_id=d.id).e_licence_credential_id == cred.credential_id
    token, _ = create_session(session, kind="citizen", subject_id=d.id, credential="cookie", label="test")
    session.commit()
    client.cookies.set("oc_session", token)
    page = client.get("/app/services/traffic").text
    assert f'href="/app/credentials/{cred.credential_id}/detail" data-testid="e-licence"' in page
    assert 'data-points="3"' in page and "剩余 9 分" in page  # 12 − 3


def test_without_a_certificate_the_page_points_to_the_wallet(session: Any, traffic: Traffic) -> None:
    d = make_driver(session)
    assert service.my_traffic(session, citizen_id=d.id).e_licence_credential_id is None


@settings(max_examples=300, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(st.text(max_size=300))
def test_any_scanned_text_is_a_decision_or_decision_qr_invalid(text: str) -> None:
    try:
        qr.decode(text)
    except DomainError as exc:
        assert exc.code == "decision_qr_invalid"


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=20))
def test_any_text_is_a_plate_or_plate_invalid(text: str) -> None:
    try:
        plate, kind = service.parse_plate(text)
    except DomainError as exc:
        assert exc.code == "plate_invalid"
    else:
        assert kind in ("ordinary", "new_energy") and len(plate) in (7, 8)


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=30))
def test_any_text_is_a_decision_number_or_not(text: str) -> None:
    assert rules.decision_number_valid(text) in (True, False)
