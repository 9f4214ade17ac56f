"""Family links in a real browser: two citizens, each in their own browser context (two phones).

A invites B by mobile number, B sees and accepts the invitation, both see the link, A revokes it and
it is gone on both sides. A parent links a minor child: from the family page to the real face
verification page (Chromium's fake camera plays face verification's head-turn video of the face in
the parent's registry photo) and back with the grant, then the child's details.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest

from tests.e2e.conftest import shot
from tests.e2e.steps import FIXED_STEPS, citizen_context, face_photo, pass_face_check
from tests.identity.family.factories import Person, person

pytestmark = pytest.mark.e2e


@pytest.fixture
def phone(browser: Any, live_server: str) -> Iterator[Any]:
    """`phone(who)`: a new phone-sized browser context signed in as `who` (web-session cookie)."""
    contexts: list[Any] = []

    def open_as(session: Any, who: Person) -> Any:
        ctx = citizen_context(browser, live_server, session, who.id)
        contexts.append(ctx)
        return ctx.new_page()

    yield open_as
    for ctx in contexts:
        ctx.close()


def test_two_citizens_link_and_unlink(session, phone):
    a = person(session, born=date(1990, 3, 7), name="张小明")
    b = person(session, born=date(1962, 8, 1), name="李秀英")
    page_a, page_b = phone(session, a), phone(session, b)

    page_a.goto("/app/family")
    assert page_a.get_by_test_id("no-links").is_visible()
    shot(page_a, "family-01-a-empty")

    page_a.get_by_test_id("invite-relation").select_option("parent")
    page_a.get_by_test_id("invite-mobile").fill(b.mobile)
    page_a.get_by_test_id("ask-pay_medical").check()
    page_a.get_by_test_id("ask-view_bills").check()
    page_a.get_by_test_id("offer-show_certificates").check()
    page_a.get_by_test_id("send-invite").click()
    page_a.wait_for_url("**/app/family?done=invited")
    assert page_a.get_by_test_id("notice").inner_text() == "邀请已发送"
    sent = page_a.get_by_test_id("sent")
    assert sent.count() == 1 and b.mobile[-4:] in sent.inner_text() and b.mobile not in page_a.content()
    shot(page_a, "family-02-a-invited")

    page_b.goto("/app/family")
    received = page_b.get_by_test_id("received")
    assert received.count() == 1
    assert "张*明" in received.inner_text() and "子女" in received.inner_text()
    shot(page_b, "family-03-b-invitation")
    received.get_by_test_id("grant-view_bills").uncheck()  # B grants only part of what A asked
    received.get_by_test_id("accept").click()
    page_b.wait_for_url("**/app/family?done=accepted")
    link_b = page_b.get_by_test_id("link")
    assert link_b.count() == 1 and "张*明" in link_b.inner_text()
    assert page_b.get_by_test_id("family-received").count() == 0
    shot(page_b, "family-04-b-linked")

    page_a.goto("/app/family")
    link_a = page_a.get_by_test_id("link")
    assert link_a.count() == 1
    text = link_a.inner_text()
    assert "李*英" in text and "父母" in text and "代付医疗费用" in text and "查看账单" not in text
    assert page_a.get_by_test_id("family-sent").count() == 0
    shot(page_a, "family-05-a-linked")

    link_a.get_by_test_id("revoke").click()
    page_a.wait_for_url("**/app/family?done=revoked")
    assert page_a.get_by_test_id("no-links").is_visible()
    shot(page_a, "family-06-a-revoked")
    page_b.reload()
    assert page_b.get_by_test_id("no-links").is_visible()
    shot(page_b, "family-07-b-after-revoke")


def test_parent_links_a_minor_after_real_face_verification(session, camera_browser, live_server, monkeypatch):
    """The whole minor flow in the browser: family page → face page (camera) → back with the grant →
    the child's details → linked. The parent's registry photo is the face the fake camera shows."""
    from onecity.identity.face import service as face_service
    monkeypatch.setattr(face_service, "choose_steps", lambda: FIXED_STEPS)
    parent = person(session, born=date(1985, 4, 10), name="王建国", photo=face_photo())
    kid = person(session, born=date(2014, 9, 1), name="王小宝")
    ctx = citizen_context(camera_browser, live_server, session, parent.id)
    page = ctx.new_page()
    try:
        page.goto("/app/family")
        page.get_by_test_id("minor-start").click()
        page.wait_for_url("**/app/face?act=family.link_minor&next=%2Fapp%2Ffamily%2Fminor")
        shot(page, "family-08-minor-face-page")
        pass_face_check(page, timeout=45_000)
        page.wait_for_url("**/app/family/minor?face_grant=fgr_*")
        form_with_grant = page.url
        page.get_by_test_id("minor-name").fill(kid.name)
        page.get_by_test_id("minor-id-number").fill(kid.id_number)
        page.get_by_test_id("minor-scope-pay_bills").uncheck()
        shot(page, "family-09-minor-form")
        page.get_by_test_id("minor-submit").click()
        page.wait_for_url("**/app/family?done=minor_linked")
        link = page.get_by_test_id("link")
        assert link.count() == 1
        text = link.inner_text()
        assert "王*宝" in text and "未成年" in text and "监护" in text and "代缴账单" not in text
        shot(page, "family-10-minor-linked")
        # The grant was used up: the same form sent again is refused, and says why.
        page.goto(form_with_grant)
        page.get_by_test_id("minor-name").fill(kid.name)
        page.get_by_test_id("minor-id-number").fill(kid.id_number)
        page.get_by_test_id("minor-submit").click()
        assert page.get_by_test_id("error").inner_text() == "请先完成刷脸验证"
    finally:
        ctx.close()
