"""Browser tests: a real uvicorn server on a free port and Debian's headless Chromium via Playwright.

Where Chromium is missing or cannot start, every browser test is skipped with the reason shown
(`pytest -ra` prints it). Screenshots go to `test-artifacts/`.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
BASE_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


@pytest.fixture(scope="session")
def playwright_instance() -> Iterator[Any]:
    if CHROMIUM is None:
        pytest.skip("browser tests skipped: Debian's chromium is not installed (scripts/ensure-chromium.sh)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as exc:  # pragma: no cover
        pytest.skip(f"browser tests skipped: playwright is not importable ({exc})")
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def launch_browser(playwright_instance: Any) -> Iterator[Callable[..., Any]]:
    """`launch_browser(extra_args=[...])` starts a headless Chromium; closed at session end."""
    opened: list[Any] = []

    def launch(extra_args: list[str] | None = None) -> Any:
        try:
            b = playwright_instance.chromium.launch(
                executable_path=CHROMIUM, headless=True, args=BASE_ARGS + (extra_args or [])
            )
        except Exception as exc:  # noqa: BLE001
            pytest.skip(f"browser tests skipped: chromium could not start ({exc})")
        opened.append(b)
        return b

    yield launch
    for b in opened:
        b.close()


@pytest.fixture(scope="session")
def browser(launch_browser: Callable[..., Any]) -> Any:
    return launch_browser()


@pytest.fixture
def page(browser: Any, live_server: str, request: pytest.FixtureRequest) -> Iterator[Any]:
    """A phone-sized page (390×844, zh-CN) on the live server; a screenshot is saved on failure."""
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, device_scale_factor=2, locale="zh-CN", base_url=live_server
    )
    pg = context.new_page()
    yield pg
    failed = getattr(request.node, "rep_call", None)
    if failed is not None and failed.failed:
        shot(pg, f"FAILED-{request.node.name}")
    context.close()


@pytest.fixture
def desk(browser: Any, live_server: str) -> Iterator[Any]:
    """A desktop-sized console page (tests/e2e/steps.py `desk_page`)."""
    from tests.e2e.steps import desk_page

    with desk_page(browser, live_server) as pg:
        yield pg


@pytest.fixture(scope="module")
def camera_browser(launch_browser: Callable[..., Any], tmp_path_factory: pytest.TempPathFactory) -> Any:
    """Chromium whose fake camera plays face verification's head-turn video (tests/e2e/steps.py)."""
    from tests.e2e.steps import camera_args, head_turn_video

    video = head_turn_video(tmp_path_factory.mktemp("face") / "head-turn.y4m")
    return launch_browser(extra_args=camera_args(video))


def shot(page: Any, name: str) -> Path:
    """Save a full-page screenshot. Chromium now and then answers "Unable to capture screenshot" while
    a page is between frames (seen with the fake camera's video playing): that is retried, twice."""
    from playwright.sync_api import Error as PlaywrightError

    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    for attempt in range(3):
        try:
            page.screenshot(path=str(path), full_page=True)
            return path
        except PlaywrightError as exc:
            if "Unable to capture screenshot" not in str(exc) or attempt == 2:
                raise
            page.wait_for_timeout(250)
    return path


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    outcome = yield
    rep = outcome.get_result()  # type: ignore[attr-defined]
    setattr(item, "rep_" + rep.when, rep)
