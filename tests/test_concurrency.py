"""At most max_concurrent_requests requests are inside the app at once; the others wait in the event
loop, and one that waits too long is told 503 server_busy instead of queueing without end."""

from __future__ import annotations

import threading
from collections.abc import Awaitable, Callable

import anyio
import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from onecity.concurrency import SPARE_THREADS, ConcurrencyLimitMiddleware


def _app(release: anyio.Event, inside: list[int]) -> ConcurrencyLimitMiddleware:
    async def slow(request: Request) -> PlainTextResponse:
        inside.append(1)
        await release.wait()
        return PlainTextResponse("done")

    limited = ConcurrencyLimitMiddleware(Starlette(routes=[Route("/slow", slow)]))
    limited.limit, limited.queue_timeout = 2, 0.3
    return limited


def run_in_own_loop(fn: Callable[[], Awaitable[None]]) -> None:
    """Run an async test on an event loop of its own thread (the browser tests keep one running in
    the main thread for the whole session)."""
    failure: list[BaseException] = []

    def main() -> None:
        try:
            anyio.run(fn)
        except BaseException as exc:  # noqa: BLE001 - re-raised in the test's thread
            failure.append(exc)

    t = threading.Thread(target=main)
    t.start()
    t.join(timeout=60)
    assert not t.is_alive(), "the async test did not finish in 60 s"
    if failure:
        raise failure[0]


def test_requests_beyond_the_limit_wait_and_then_are_told_the_server_is_busy() -> None:
    run_in_own_loop(_beyond_the_limit)


def test_the_thread_pool_keeps_spare_threads_beyond_the_limit() -> None:
    run_in_own_loop(_spare_threads)


async def _beyond_the_limit() -> None:
    release, inside = anyio.Event(), []
    app = _app(release, inside)
    results: dict[str, httpx.Response] = {}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:

        async def get(name: str) -> None:
            results[name] = await client.get("/slow", headers={"accept-language": "en"})

        async with anyio.create_task_group() as tg:
            tg.start_soon(get, "first")
            tg.start_soon(get, "second")
            await anyio.wait_all_tasks_blocked()
            assert len(inside) == 2
            with anyio.fail_after(5):  # a limiter that let it in would block here: fail, not hang
                await get("third")  # waits 0.3 s for a place that never frees, then gives up
            assert len(inside) == 2  # it never entered the app
            release.set()
        fourth = await client.get("/slow")
    assert [results[n].status_code for n in ("first", "second")] == [200, 200]
    busy = results["third"]
    assert busy.status_code == 503 and busy.headers["retry-after"] == "1"
    assert busy.headers["content-type"].startswith("application/problem+json")
    assert busy.json()["code"] == "server_busy" and busy.json()["title"] == "The server is busy; retry shortly"
    assert fourth.status_code == 200 and len(inside) == 3


async def _spare_threads() -> None:
    release, inside = anyio.Event(), []
    app = _app(release, inside)
    release.set()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        assert (await client.get("/slow")).status_code == 200
    assert anyio.to_thread.current_default_thread_limiter().total_tokens >= 2 + SPARE_THREADS
