"""Issuing many certificates from a CSV file: per-row checks with line numbers and reasons, the
accepted rows issued together, the same file never issued twice; through the service and through
the JSON API (staff token, signed agency request, Idempotency-Key)."""

from __future__ import annotations

import json
import os
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from onecity.audit.models import AuditEntry
from onecity.credentials import service
from onecity.credentials.models import Credential, CredentialImport
from onecity.db import session_factory, transaction
from onecity.identity.orgs import service as orgs
from onecity.identity.orgs.signatures import sign_request
from tests.credentials.issuer_factories import make_issuer
from tests.identity.factories import fresh_id_number, make_citizen
from tests.identity.orgs.factories import make_api_key, make_staff, staff_token

HEADER = "type_id,citizen_id,name,gender,ethnicity,birth_date,address,id_number,issuing_authority,valid_from,valid_until"


def _row(id_number: str, *, type_id: str = "resident_id", citizen: str = "", name: str = "林晓明",
         birth: str = "1990-01-01") -> str:
    return (f"{type_id},{citizen},{name},男,汉,{birth},广东省深圳市南山区科技园路1号,{id_number},"
            f"深圳市公安局南山分局,2020-01-01,2040-01-01")


def bad_checksum(id_number: str) -> str:
    """The same ID number with a wrong check character."""
    return id_number[:17] + ("0" if id_number[17] != "0" else "1")


def sample_csv(citizen_id: str) -> tuple[str, list[str]]:
    """A file of seven data rows: three good, then one of each kind of bad (lines 5-8)."""
    ids = [fresh_id_number() for _ in range(3)]
    lines = [
        HEADER,
        _row(ids[0], citizen=citizen_id),                  # line 2: good, to a citizen
        _row(ids[1]),                                      # line 3: good, unclaimed
        _row(ids[2], name="陈小红"),                        # line 4: good
        _row(fresh_id_number(), type_id="pilot_licence"),  # line 5: unknown type
        _row(fresh_id_number(), name=""),                  # line 6: missing required name
        _row(bad_checksum(fresh_id_number())),             # line 7: bad ID number check character
        _row(ids[1]),                                      # line 8: duplicate of line 3
    ]
    return "\r\n".join(lines) + "\r\n", ids


def _count() -> int:
    with session_factory()() as s:
        return s.scalar(select(func.count()).select_from(Credential)) or 0


def test_good_rows_are_issued_and_each_bad_row_is_reported_with_its_line_and_reasons(session):
    issuer = make_issuer(session)
    citizen = make_citizen(session, verified=True)
    text, ids = sample_csv(citizen.public_id)
    out = service.import_csv(session, issuer_id=issuer.issuer_id, data=text.encode(), filename="c:\\导入\\居民.csv",
                             actor="test")
    assert (out.rows_total, out.rows_accepted, out.rows_rejected) == (7, 3, 4)
    assert out.filename == "居民.csv" and not out.replayed
    assert [a.line for a in out.accepted] == [2, 3, 4]
    rejected = {r.line: r.reasons for r in out.rejected}
    assert list(rejected) == [5, 6, 7, 8]
    assert rejected[5] == ("type_id: unknown certificate type “pilot_licence”",)
    assert rejected[6] == ("name: required",)
    assert rejected[7] == ("id_number: not a valid resident ID number",)
    assert rejected[8] == ("duplicate of line 3",)
    issued = [service.get_credential(session, credential_id=a.credential_id, issuer_id=issuer.issuer_id)
              for a in out.accepted]
    assert [c.claims["id_number"] for c in issued] == ids  # type: ignore[index]
    assert issued[0].holder_citizen_id == citizen.public_id and issued[1].holder_citizen_id is None
    assert session.scalar(select(func.count()).select_from(Credential)) == 3
    entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "credential.import")).one()
    assert "3 issued, 4 rejected of 7" in entry.reason


def test_the_same_file_again_returns_the_first_report_and_issues_nothing(session):
    issuer = make_issuer(session)
    citizen = make_citizen(session, verified=True)
    text, _ = sample_csv(citizen.public_id)
    first = service.import_csv(session, issuer_id=issuer.issuer_id, data=text.encode(), actor="test")
    again = service.import_csv(session, issuer_id=issuer.issuer_id, data=text.encode(), actor="test")
    assert again.replayed and again.import_id == first.import_id and again.accepted == first.accepted
    assert session.scalar(select(func.count()).select_from(Credential)) == 3
    assert session.scalar(select(func.count()).select_from(CredentialImport)) == 1
    other = make_issuer(session)  # another issuer's upload of the same bytes is its own
    theirs = service.import_csv(session, issuer_id=other.issuer_id, data=text.encode(), actor="test")
    assert not theirs.replayed and theirs.rows_accepted == 3


def test_cells_and_files_that_do_not_fit(session):
    issuer = make_issuer(session)
    good = _row(fresh_id_number())
    cases = {
        "no type column": "name,id_number\r\n林,1\r\n",
        "empty": "",
        "header only": HEADER + "\r\n\r\n",
        "repeated column": HEADER + ",name\r\n" + good + ",x\r\n",
    }
    for label, text in cases.items():
        with pytest.raises(service.ImportFileInvalid):
            service.import_csv(session, issuer_id=issuer.issuer_id, data=text.encode(), actor="test")
        assert label
    text = "\r\n".join([HEADER, good + ",extra", _row(fresh_id_number(), citizen="cit_nobody"),
                        "resident_id,,林,女,汉,1990-02-30,地址,"
                        + fresh_id_number() + ",机关,2020-01-01,,unexpected"]) + "\r\n"
    out = service.import_csv(session, issuer_id=issuer.issuer_id, data=text.encode("gb18030"), actor="test")
    reasons = {r.line: r.reasons for r in out.rejected}
    assert reasons[2] == ("more cells than the header has columns",)
    assert reasons[3] == ("citizen_id: no such citizen “cit_nobody”",)
    assert "birth_date: not a date (YYYY-MM-DD)" in reasons[4]
    assert out.rows_accepted == 0 and out.rows_rejected == 3
    bom = ("\ufeff" + HEADER + "\n" + _row(fresh_id_number()) + "\n").encode()
    assert service.import_csv(session, issuer_id=issuer.issuer_id, data=bom, actor="test").rows_accepted == 1


def test_the_json_api_imports_with_a_signed_request_and_an_idempotency_key(client, session):
    issuer = make_issuer(session)
    org = orgs.get_org(session, issuer.org_id)
    reviewer = staff_token(session, make_staff(session, org, roles=["reviewer"]))
    app_id, pem = make_api_key(session, org, scopes=["operator"])
    citizen = make_citizen(session, verified=True)
    session.commit()
    text, _ = sample_csv(citizen.public_id)
    raw = json.dumps({"filename": "batch.csv", "csv": text}).encode()

    def post(key: str):  # type: ignore[no-untyped-def]
        headers = sign_request(pem, app_id, "POST", "/v1/issuer/credential-imports", raw)
        return client.post("/v1/issuer/credential-imports", content=raw,
                           headers={**headers, "content-type": "application/json", "Idempotency-Key": key})

    r = post("imp-1")
    assert r.status_code == 201, r.text
    body = r.json()
    assert (body["rows_accepted"], body["rows_rejected"]) == (3, 4)
    assert [(x["line"], x["reasons"]) for x in body["rejected"]][0] == (5, ["type_id: unknown certificate type "
                                                                           "“pilot_licence”"])
    assert r.headers["location"] == f"/v1/issuer/credential-imports/{body['import_id']}"
    replay = post("imp-1")
    assert replay.status_code == 201 and replay.headers["idempotent-replayed"] == "true" and replay.json() == body
    same_file = post("imp-2")  # a new key, the same file: the first report, nothing issued
    assert same_file.status_code == 200 and same_file.json()["replayed"] is True
    assert _count() == 3
    got = client.get(f"/v1/issuer/credential-imports/{body['import_id']}",
                     headers={"authorization": f"Bearer {reviewer}"})
    assert got.status_code == 200 and got.json()["rows_total"] == 7
    denied = client.post("/v1/issuer/credential-imports", json={"csv": text},
                         headers={"authorization": f"Bearer {reviewer}"})
    assert denied.status_code == 403


def test_a_holder_id_number_column_lets_that_person_claim_the_certificate_later(session):
    issuer = make_issuer(session)
    number = fresh_id_number()
    text = "\r\n".join([HEADER + ",holder_id_number", _row(number) + "," + number,
                        _row(fresh_id_number()) + "," + bad_checksum(number)]) + "\r\n"
    out = service.import_csv(session, issuer_id=issuer.issuer_id, data=text.encode(), actor="test")
    assert [r.reasons for r in out.rejected] == [("holder_id_number: not a valid resident ID number",)]
    row = session.scalars(select(Credential).where(Credential.public_id == out.accepted[0].credential_id)).one()
    assert row.holder_id_index is not None and number not in row.holder_id_index
    assert service.template_csv("resident_id").startswith("type_id,citizen_id,holder_id_number,name,")


def test_a_file_with_too_many_rows_is_refused_whole(session, monkeypatch):
    issuer = make_issuer(session)
    monkeypatch.setattr(service.imports, "MAX_ROWS", 2)
    text = "\r\n".join([HEADER, *(_row(fresh_id_number(), name=f"林{i}") for i in range(3))]) + "\r\n"
    with pytest.raises(service.ImportFileInvalid) as exc:
        service.import_csv(session, issuer_id=issuer.issuer_id, data=text.encode(), actor="test")
    assert exc.value.detail == "more than 2 rows"
    assert session.scalar(select(func.count()).select_from(Credential)) == 0


@pytest.mark.skipif(os.environ.get("ONECITY_TEST_DB") != "postgres",
                    reason="row locks and concurrent transactions are tested on PostgreSQL")
def test_the_same_file_uploaded_twice_at_once_is_issued_once(session):
    issuer = make_issuer(session)
    citizen = make_citizen(session, verified=True)
    session.commit()
    text, _ = sample_csv(citizen.public_id)
    barrier = threading.Barrier(2)

    def upload(_: int) -> bool:
        barrier.wait(timeout=10)
        with transaction() as s:
            return service.import_csv(s, issuer_id=issuer.issuer_id, data=text.encode(), actor="test").replayed

    with ThreadPoolExecutor(max_workers=2) as pool:
        replayed = sorted(pool.map(upload, range(2)))
    assert replayed == [False, True]  # the second waited for the first and got its report
    assert _count() == 3
