"""Steps the browser tests share: a console page at a desk and its sign-in, a citizen's phone signed in
by cookie, and face verification with Chromium's fake camera playing a head-turn video.

The video (.y4m, 480×360, 5 frames/s) is made from scikit-image's astronaut photo turned by
`photos.head_turn`, timed to the face page's schedule (`pages.STEP_MS`): centre, left, right, centre,
then centre again until the end. The fake camera starts the file when the page opens the camera and
the page starts its first step once the first frame arrived, so the video leads by a fraction of a
second; the video therefore starts LEAD_S later than the page's steps, and each pose is held through
the whole step, so a lead between about -0.3 and +0.8 s still shows each pose at every capture. The
citizen whose registry photo is `FACE_PHOTO` passes; the challenge's order must be fixed to
left-then-right (`FIXED_STEPS`), since the video cannot react to it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from onecity.identity.face import pages as face_pages
from onecity.identity.sessions import create_session
from tests.e2e.conftest import shot
from tests.identity.face import photos
from tests.identity.orgs.factories import DEFAULT_PASSWORD

FPS = 5
SIZE = (480, 360)
LEAD_S = 0.5
TAIL_S = 12.0
FIXED_STEPS = ["center", "turn_left", "turn_right", "center"]


# --- the console, at a desk ----------------------------------------------------------------------

@contextmanager
def desk_page(browser: Any, live_server: str, *, only_platform: bool = False) -> Iterator[Any]:
    """A desktop-sized page (1280×900, zh-CN): the console is used at a desk. The test fails on a script
    error in the page and, with `only_platform`, on any request to somewhere else than the live server."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN", base_url=live_server,
                                  accept_downloads=True)
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    outside: list[str] = []
    if only_platform:
        pg.on("request", lambda r: outside.append(r.url) if not r.url.startswith(live_server) else None)
    yield pg
    context.close()
    assert errors == [], errors
    assert outside == [], f"the console fetched from outside the platform: {outside}"


def top_shot(pg: Any, name: str) -> None:
    """Full-page screenshot from the top (the sticky bar would otherwise float mid-page)."""
    pg.evaluate("window.scrollTo(0, 0)")
    shot(pg, name)


def sign_in(pg: Any, username: str, password: str = DEFAULT_PASSWORD) -> None:
    """Fill in and send the console's sign-in form (the page is on it)."""
    pg.get_by_test_id("username").fill(username)
    pg.get_by_test_id("password").fill(password)
    pg.get_by_test_id("submit").click()


# --- the citizen's phone -------------------------------------------------------------------------

def citizen_context(browser: Any, live_server: str, session: Any, citizen_id: str, *, locale: str = "zh-CN",
                    scale: int = 2) -> Any:
    """A phone-sized browser context (390×844) signed in by web-session cookie as `citizen_id`
    (commits the session)."""
    token, _ = create_session(session, kind="citizen", subject_id=citizen_id, credential="cookie", label="e2e")
    session.commit()
    ctx = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=scale, locale=locale,
                              base_url=live_server)
    ctx.add_cookies([{"name": "oc_session", "value": token, "url": live_server}])
    return ctx


# --- face verification with the fake camera ------------------------------------------------------

def face_photo() -> bytes:
    """The registry photo that matches the video: a grey, smaller copy of the same photo."""
    img = photos.transformations(photos.astronaut())["grey"]
    return photos.jpeg(img.resize((300, 225)), 80)


def _yuv420(img: Image.Image) -> bytes:
    """One Y4M frame body (C420jpeg: full-range BT.601, chroma averaged over 2×2 blocks)."""
    ycc = np.asarray(img.convert("RGB").convert("YCbCr"), dtype=np.float64)
    h, w = ycc.shape[:2]
    y = ycc[..., 0].round().astype(np.uint8)
    cb = ycc[..., 1].reshape(h // 2, 2, w // 2, 2).mean(axis=(1, 3)).round().astype(np.uint8)
    cr = ycc[..., 2].reshape(h // 2, 2, w // 2, 2).mean(axis=(1, 3)).round().astype(np.uint8)
    return y.tobytes() + cb.tobytes() + cr.tobytes()


def head_turn_video(path: Path) -> Path:
    """The timeline, in frames of 1/FPS s: for each step, one in-between frame then the held pose."""
    img = photos.astronaut().resize(SIZE, Image.Resampling.LANCZOS)
    geo = photos.geometry(img)
    step = face_pages.STEP_MS / 1000
    per_step = round(step * FPS)
    poses: list[float] = [0.0] * round((step + LEAD_S) * FPS)  # centre (with the lead)
    poses += [12.0] + [25.0] * (per_step - 1)  # the person's left
    poses += [-12.0] + [-25.0] * (per_step - 1)  # right
    poses += [-12.0] + [0.0] * (per_step - 1 + round(TAIL_S * FPS))  # centre, and stay
    frames = {d: _yuv420(img if d == 0 else photos.head_turn(img, geo, d)) for d in set(poses)}
    with path.open("wb") as f:
        f.write(f"YUV4MPEG2 W{SIZE[0]} H{SIZE[1]} F{FPS}:1 Ip A1:1 C420jpeg\n".encode())
        for d in poses:
            f.write(b"FRAME\n")
            f.write(frames[d])
    return path


def camera_args(video: Path) -> list[str]:
    """Chromium's flags for a fake camera playing `video`, allowed without asking."""
    return [
        "--use-fake-ui-for-media-stream",
        "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-video-capture={video}",
    ]


def pass_face_check(page: Any, *, act: str | None = None, timeout: int = 40_000) -> None:
    """On the face page (for `act`'s label when given): start, wait for the verdict, which must be a
    pass, and continue with the grant."""
    if act is not None:
        assert page.get_by_test_id("face-act").inner_text() == act
    page.get_by_test_id("face-start").click()
    result = page.get_by_test_id("face-result")
    result.wait_for(state="visible", timeout=timeout)
    assert result.get_attribute("data-decision") == "pass", page.get_by_test_id("face-reason").inner_text()
    page.get_by_test_id("face-continue").click()
