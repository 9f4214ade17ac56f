"""The issuer console in a real browser: an agency's operator signs in, imports a CSV file with one bad
row, reads the report (the bad row's line number and reason), opens an issued certificate and revokes
it with a reason; the certificate list then shows it revoked."""

from __future__ import annotations

import pytest

from onecity.credentials import service
from onecity.db import transaction
from onecity.identity.orgs import service as orgs
from tests.credentials.issuer_factories import make_issuer
from tests.credentials.test_imports import HEADER, _row, bad_checksum
from tests.e2e.steps import sign_in, top_shot
from tests.identity.factories import fresh_id_number
from tests.identity.orgs.factories import make_staff

pytestmark = pytest.mark.e2e


def test_operator_imports_a_csv_with_one_bad_row_reads_the_report_and_revokes_one(desk):
    with transaction() as s:
        issuer = make_issuer(s, name="深圳市公安局南山分局")
        make_staff(s, orgs.get_org(s, issuer.org_id), roles=["operator"], username="ns.police", name="李警官")
        issuer_id = issuer.issuer_id
    text = "\r\n".join([HEADER, _row(fresh_id_number(), name="林晓明"), _row(bad_checksum(fresh_id_number())),
                        _row(fresh_id_number(), name="陈小红")]) + "\r\n"

    desk.goto("/console/credentials")
    assert "/console/login?next=/console/credentials" in desk.url
    sign_in(desk, "ns.police")
    desk.wait_for_url("**/console/credentials")
    assert desk.get_by_test_id("credentials-empty").is_visible()

    desk.get_by_test_id("nav-credentials-import").click()
    desk.wait_for_url("**/console/credentials/import")
    desk.get_by_test_id("import-file").set_input_files(
        {"name": "居民身份证电子副本.csv", "mimeType": "text/csv", "buffer": text.encode("utf-8")})
    desk.get_by_test_id("import-submit").click()
    desk.wait_for_url("**/console/credentials/imports/imp_*")
    report = desk.get_by_test_id("import-report")
    assert (report.get_attribute("data-accepted"), report.get_attribute("data-rejected")) == ("2", "1")
    bad = desk.get_by_test_id("rejected-row")
    assert bad.count() == 1 and bad.get_attribute("data-line") == "3"
    assert "id_number: not a valid resident ID number" in bad.inner_text()
    top_shot(desk, "credentials-import-report")

    desk.get_by_test_id("accepted-link").first.click()
    desk.wait_for_url("**/console/credentials/crd_*")
    assert "林晓明" in desk.get_by_test_id("detail-claims").inner_text()
    credential_id = desk.url.rsplit("/", 1)[1].split("?")[0]
    desk.get_by_test_id("reason-revoke").fill("户籍注销")
    desk.get_by_test_id("do-revoke").click()
    desk.wait_for_url("**?done=revoke")
    assert desk.get_by_test_id("notice").inner_text() == "证照已吊销"
    assert desk.get_by_test_id("detail-status").inner_text() == "已吊销"
    assert desk.get_by_test_id("detail-reason").inner_text() == "户籍注销"
    top_shot(desk, "credentials-revoked")

    desk.get_by_test_id("nav-credentials").click()
    desk.get_by_test_id("filter-status").select_option("revoked")
    desk.get_by_test_id("filter-submit").click()
    rows = desk.get_by_test_id("credential-row")
    assert rows.count() == 1 and rows.first.get_attribute("data-credential-id") == credential_id
    with transaction() as s:
        assert service.get_credential(s, credential_id=credential_id, issuer_id=issuer_id).status == "revoked"
