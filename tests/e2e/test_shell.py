from tests.e2e.conftest import shot


def test_healthz_in_real_browser(page, live_server):
    page.goto("/healthz")
    assert '"status":"ok"' in page.content().replace(" ", "")
    shot(page, "healthz")
