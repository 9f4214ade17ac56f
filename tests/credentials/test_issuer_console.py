"""The issuer console through HTTP (the browser test is tests/e2e/test_credentials_console.py): the
list with its status filter, the form generated from a type's schema, the CSV import and its report,
suspend / reinstate / revoke / re-issue with a reason, CSRF, roles, and staff of other organisations."""

from __future__ import annotations

from onecity.credentials import service
from onecity.identity.orgs import service as orgs
from tests.console_steps import console_login, csrf_of
from tests.credentials.issuer_factories import make_issuer
from tests.credentials.test_imports import sample_csv
from tests.credentials.test_issuance import CLAIMS
from tests.identity.factories import make_citizen
from tests.identity.orgs.factories import make_org, make_staff


def test_issue_from_the_generated_form_then_suspend_reinstate_revoke_with_reasons(client, session):
    issuer = make_issuer(session, name="深圳市公安局交通警察支队")
    org = orgs.get_org(session, issuer.org_id)
    make_staff(session, org, roles=["operator"], username="jj.operator")
    citizen = make_citizen(session, verified=True)
    session.commit()
    assert client.get("/console/credentials", follow_redirects=False).headers["location"].startswith(
        "/console/login?next=/console/credentials")
    console_login(client, "jj.operator", next="/console/credentials")
    home = client.get("/console")
    assert 'href="/console/credentials"' in home.text  # the agency's console links to its certificates
    empty = client.get("/console/credentials")
    assert empty.status_code == 200 and 'data-testid="credentials-empty"' in empty.text
    form = client.get("/console/credentials/new?type_id=driving_licence")
    assert form.status_code == 200
    for name in CLAIMS:  # one input per field of the type's schema
        assert f'name="claim.{name}"' in form.text
    assert 'type="date"' in form.text and '<option value="女"' in form.text
    csrf = csrf_of(form.text)
    data = {"csrf": csrf, "type_id": "driving_licence", "citizen_id": citizen.public_id,
            **{f"claim.{k}": v for k, v in CLAIMS.items()}}
    bad = client.post("/console/credentials/new", data={**data, "claim.valid_until": "2032-02-30"})
    assert bad.status_code == 422 and "valid_until" in bad.text and 'value="欧阳建国"' in bad.text  # kept
    assert client.post("/console/credentials/new", data={**data, "csrf": "x"}).status_code == 403
    r = client.post("/console/credentials/new", data=data, follow_redirects=False)
    assert r.status_code == 303
    cid = r.headers["location"].split("/")[-1].split("?")[0]
    detail = client.get(f"/console/credentials/{cid}?done=issued")
    assert "证照已签发" in detail.text and "欧阳建国" in detail.text and citizen.public_id in detail.text
    assert 'data-testid="action-suspend"' in detail.text and 'data-testid="action-reinstate"' not in detail.text

    s = client.post(f"/console/credentials/{cid}/suspend", data={"csrf": csrf, "reason": "驾驶证审验期间"},
                    follow_redirects=False)
    assert s.status_code == 303
    page = client.get(f"/console/credentials/{cid}")
    assert 'data-status="suspended"' in page.text and "驾驶证审验期间" in page.text
    assert service.get_credential(session, credential_id=cid).status_reason == "驾驶证审验期间"
    session.rollback()  # hold no transaction while the app writes (SQLite locks)
    filtered = client.get("/console/credentials?status=suspended")
    assert cid in filtered.text and cid not in client.get("/console/credentials?status=valid").text
    assert client.post(f"/console/credentials/{cid}/reinstate", data={"csrf": csrf, "reason": "审验通过"},
                       follow_redirects=False).status_code == 303
    assert client.post(f"/console/credentials/{cid}/revoke", data={"csrf": "forged", "reason": "x"}).status_code == 403
    assert client.post(f"/console/credentials/{cid}/revoke", data={"csrf": csrf, "reason": "驾驶人死亡注销"},
                       follow_redirects=False).status_code == 303
    revoked = client.get(f"/console/credentials/{cid}")
    assert 'data-status="revoked"' in revoked.text and 'data-testid="action-revoke"' not in revoked.text
    again = client.post(f"/console/credentials/{cid}/suspend", data={"csrf": csrf})
    assert again.status_code == 409 and "已吊销" in again.text
    assert client.post(f"/console/credentials/{cid}/explode", data={"csrf": csrf}).status_code == 404


def test_reissue_and_the_csv_import_report(client, session):
    issuer = make_issuer(session)
    org = orgs.get_org(session, issuer.org_id)
    make_staff(session, org, roles=["admin"], username="gab.admin")
    make_staff(session, org, roles=["reviewer"], username="gab.reviewer")
    citizen = make_citizen(session, verified=True)
    old = service.issue_credential(session, issuer_id=issuer.issuer_id, type_id="driving_licence", claims=dict(CLAIMS),
                                   actor="test")
    session.commit()
    console_login(client, "gab.admin", next="/console/credentials")
    page = client.get("/console/credentials/import")
    csrf = csrf_of(page.text)
    assert 'href="/console/credentials/templates/resident_id.csv"' in page.text
    template = client.get("/console/credentials/templates/resident_id.csv")
    assert template.status_code == 200 and template.text.lstrip("\ufeff").startswith("type_id,citizen_id,holder_id_number,name,")
    text, _ = sample_csv(citizen.public_id)
    files = {"file": ("居民身份证.csv", text.encode(), "text/csv")}
    assert client.post("/console/credentials/import", data={"csrf": "x"}, files=files).status_code == 403
    r = client.post("/console/credentials/import", data={"csrf": csrf}, files=files, follow_redirects=False)
    assert r.status_code == 303
    report = client.get(r.headers["location"])
    assert 'data-accepted="3"' in report.text and 'data-rejected="4"' in report.text
    for line in (5, 6, 7, 8):
        assert f'data-testid="rejected-row" data-line="{line}"' in report.text
    assert "duplicate of line 3" in report.text and "not a valid resident ID number" in report.text
    replay = client.post("/console/credentials/import", data={"csrf": csrf}, files=files, follow_redirects=False)
    assert replay.headers["location"] == r.headers["location"] + "?replayed=1"
    assert 'data-testid="import-replayed"' in client.get(replay.headers["location"]).text
    broken = client.post("/console/credentials/import", data={"csrf": csrf},
                         files={"file": ("x.csv", b"name\r\nfoo\r\n", "text/csv")})
    assert broken.status_code == 422 and "type_id" in broken.text
    assert len(service.list_issued(session, issuer_id=issuer.issuer_id, limit=50)) == 4
    session.rollback()  # hold no transaction while the app writes (SQLite locks)

    re_ = client.post(f"/console/credentials/{old.credential_id}/reissue", data={"csrf": csrf, "reason": "证件遗失补领"},
                      follow_redirects=False)
    assert re_.status_code == 303
    new_id = re_.headers["location"].split("/")[-1].split("?")[0]
    assert new_id != old.credential_id
    gone = service.get_credential(session, credential_id=old.credential_id)
    assert (gone.status, gone.replaced_by, gone.status_reason) == ("revoked", new_id, "证件遗失补领")
    session.rollback()

    client.cookies.clear()
    # reviewers read, they do not issue or change
    console_login(client, "gab.reviewer", next="/console/credentials")
    assert client.get("/console/credentials").status_code == 200
    assert client.get(f"/console/credentials/{new_id}").status_code == 200
    assert client.get("/console/credentials/new").status_code == 403
    assert client.post(f"/console/credentials/{new_id}/revoke", data={"csrf": csrf}).status_code == 403


def test_staff_of_an_org_that_is_no_issuer_or_of_another_issuer_see_nothing(client, session):
    mine = make_issuer(session)
    cred = service.issue_credential(session, issuer_id=mine.issuer_id, type_id="driving_licence", claims=dict(CLAIMS),
                                    actor="test")
    other = make_issuer(session)
    make_staff(session, orgs.get_org(session, other.org_id), roles=["owner"], username="other.owner")
    make_staff(session, make_org(session, kind="agency"), roles=["owner"], username="plain.owner")
    session.commit()
    console_login(client, "other.owner", next="/console/credentials")
    assert client.get(f"/console/credentials/{cred.credential_id}").status_code == 404
    assert cred.credential_id not in client.get("/console/credentials").text
    client.cookies.clear()
    console_login(client, "plain.owner", next="/console/credentials")
    assert client.get("/console/credentials").status_code == 404
