"""The audit log over HTTP: a citizen's access log and the administrators' search."""

from __future__ import annotations

from onecity.audit import service as audit
from onecity.authz import Principal
from tests.identity.factories import login_token, make_citizen
from tests.identity.orgs.factories import make_admin, make_org, make_staff, staff_token


def _h(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_citizen_sees_who_accessed_their_data_with_cursor(client, session):
    citizen = make_citizen(session, verified=False)
    other = make_citizen(session, verified=False)
    hospital = make_org(session, kind="hospital")
    doctor = make_staff(session, hospital, roles=["operator"])
    token = login_token(session, citizen)
    p = Principal(kind="staff", id=doctor.public_id, org_id=hospital.public_id, roles=frozenset({"operator"}))
    for i in range(5):
        audit.record(session, actor=p, action="medical_record.read", subject_citizen_id=citizen.public_id,
                     resource=f"medical_record/rec_{i}", reason="门诊就诊")
    audit.record(session, actor=p, action="medical_record.read", subject_citizen_id=other.public_id,
                 resource="medical_record/rec_x", reason="门诊就诊")
    session.commit()

    r = client.get("/v1/me/access-log?limit=3", headers=_h(token))
    assert r.status_code == 200, r.text
    page = r.json()
    assert [e["resource"] for e in page["items"]] == [f"medical_record/rec_{i}" for i in (4, 3, 2)]
    first = page["items"][0]
    assert first["actor_kind"] == "staff" and first["actor_org_id"] == hospital.public_id
    assert first["reason"] == "门诊就诊" and "entry_hash" not in first
    # Follow the cursor to the end (identity's own entries about the account come last).
    seen = [e["id"] for e in page["items"]]
    cursor = page["next_cursor"]
    while cursor:
        nxt = client.get(f"/v1/me/access-log?limit=3&after={cursor}", headers=_h(token)).json()
        seen += [e["id"] for e in nxt["items"]]
        resources = [e["resource"] for e in nxt["items"]]
        cursor = nxt["next_cursor"]
        if "medical_record/rec_1" in resources:
            assert resources[:2] == ["medical_record/rec_1", "medical_record/rec_0"]
    everything = audit.access_log(session, citizen_id=citizen.public_id, limit=200).entries
    assert seen == [e.public_id for e in everything] and len(seen) >= 5
    assert "medical_record/rec_x" not in {e.resource for e in everything}
    session.rollback()  # end the read (SQLite: the session's transaction holds the write lock)
    assert client.get("/v1/me/access-log?limit=0", headers=_h(token)).status_code == 422
    assert client.get("/v1/me/access-log").status_code == 401


def test_admin_searches_and_verifies(client, session):
    admin = make_admin(session)
    citizen = make_citizen(session, verified=False)
    org = make_org(session, kind="agency")
    clerk = make_staff(session, org, roles=["reviewer"])
    audit.record(session, actor=clerk.public_id, action="application.review", subject_citizen_id=citizen.public_id,
                 resource="application/apl_1", reason="审批")
    h = _h(staff_token(session, admin))
    ch = _h(staff_token(session, clerk))
    session.commit()
    r = client.get(f"/v1/audit?subject_citizen_id={citizen.public_id}&action=application.review", headers=h)
    assert r.status_code == 200
    items = r.json()["items"]
    assert len(items) == 1 and items[0]["action"] == "application.review" and len(items[0]["entry_hash"]) == 64
    by_org = client.get(f"/v1/audit?org_id={org.public_id}", headers=h).json()["items"]
    assert {e["action"] for e in by_org} == {"org.create", "staff.create"}  # done on the org's behalf
    v = client.get("/v1/audit/verify", headers=h).json()
    assert v["ok"] is True and v["entries"] == v["head_seq"] >= 4
    assert client.get("/v1/audit", headers=ch).status_code == 403
