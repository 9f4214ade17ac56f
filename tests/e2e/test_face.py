"""Face verification in a real browser, with Chromium's fake camera playing a head-turn video.

The video and its timing are tests/e2e/steps.py's (`head_turn_video`); the challenge's random order is
fixed to left-then-right for this test (the video cannot react to it); the registry photo is a grey,
smaller copy of the same photo. One full capture takes about 12 s, so the failure paths run here
only where they are cheap; the API tests cover the others with the same frames.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from onecity.identity.face import service as face_service
from tests.e2e.conftest import shot
from tests.e2e.steps import FIXED_STEPS, citizen_context, face_photo
from tests.e2e.steps import head_turn_video as head_turn_video  # noqa: F401 - imported from here by others
from tests.identity.factories import make_citizen

pytestmark = pytest.mark.e2e


@pytest.fixture
def phone(camera_browser: Any, live_server: str, session: Any) -> Iterator[Any]:
    """A phone-sized page signed in (web-session cookie) as a verified citizen whose registry photo is
    the astronaut's."""
    citizen = make_citizen(session, verified=True, photo=face_photo())
    ctx = citizen_context(camera_browser, live_server, session, citizen.public_id)
    yield ctx.new_page()
    ctx.close()


def test_face_verification_passes_with_the_camera(phone: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(face_service, "choose_steps", lambda: FIXED_STEPS)
    page = phone
    page.goto("/app/face?act=family.link_minor&next=/app/family/minor")
    assert page.get_by_test_id("face-act").inner_text() == "用于：绑定未成年子女"
    shot(page, "face-01-ready")
    page.get_by_test_id("face-start").click()
    page.wait_for_function("document.getElementById('face-instruction').dataset.step === 'turn_left'",
                           timeout=20_000)
    assert page.get_by_test_id("face-instruction").inner_text() == "请向左转头"
    shot(page, "face-02-turn-left")
    page.wait_for_function("document.getElementById('face-instruction').dataset.step === 'turn_right'",
                           timeout=20_000)
    assert page.get_by_test_id("face-instruction").inner_text() == "请向右转头"
    result = page.get_by_test_id("face-result")
    result.wait_for(state="visible", timeout=30_000)
    shot(page, "face-03-result")
    assert result.get_attribute("data-decision") == "pass", page.get_by_test_id("face-reason").inner_text()
    assert page.get_by_test_id("face-decision").inner_text() == "验证通过"
    assert "相似距离 0." in page.get_by_test_id("face-score").inner_text()
    href = page.get_by_test_id("face-continue").get_attribute("href")
    assert href is not None and href.startswith("/app/family/minor?face_grant=fgr_")
    assert not page.get_by_test_id("face-retry").is_visible() and not page.get_by_test_id("face-start").is_visible()


def test_face_page_in_english_reports_a_missing_registry_photo(camera_browser: Any, live_server: str,
                                                                 session: Any) -> None:
    """A citizen whose registry entry has no photo: the challenge is refused at once, in English.
    (Turns in the wrong order are refused by the server: see tests/identity/face/test_verification.py.)"""
    citizen = make_citizen(session, verified=True, photo=None)
    ctx = citizen_context(camera_browser, live_server, session, citizen.public_id, locale="en-US", scale=1)
    page = ctx.new_page()
    try:
        page.goto("/app/face?act=payment.large&lang=en")
        assert page.get_by_test_id("face-act").inner_text() == "For: Large payment"
        page.get_by_test_id("face-start").click()
        result = page.get_by_test_id("face-result")
        result.wait_for(state="visible", timeout=10_000)
        shot(page, "face-04-no-reference-en")
        assert page.get_by_test_id("face-decision").inner_text() == "Not verified"
        assert page.get_by_test_id("face-reason").inner_text() == (
            "The population registry holds no usable photo of you to compare with")
        assert page.get_by_test_id("face-retry").is_visible()
    finally:
        ctx.close()


def test_face_page_sends_a_signed_out_visitor_to_sign_in(page: Any) -> None:
    page.goto("/app/face?act=payment.large")
    assert "/app/login" in page.url
