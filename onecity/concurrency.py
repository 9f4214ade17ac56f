"""How many requests run at once in one process.

FastAPI runs sync dependencies, sync endpoints and their response validation on anyio's worker
threads (40 by default). If every one of those threads is an endpoint waiting for a row lock — 200
payments from one wallet at once — the request that holds the lock cannot get a thread to validate
its response and commit, and the process stalls until something times out. So a request enters the
app only when one of `max_concurrent_requests` places is free (the others wait in the event loop,
costing no thread and no database connection), and the thread pool is kept larger than that, so a
request that is inside always finds a thread for its next step. A request that has waited
`request_queue_timeout_seconds` for a place is answered 503 `server_busy` with `Retry-After`, so an
overloaded process sheds load instead of queueing without end (never stored as an idempotent reply:
a retry with the same key runs).
"""

from __future__ import annotations

from typing import Any

import anyio
from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from onecity.config import get_settings
from onecity.errors import problem
from onecity.i18n import negotiate

SPARE_THREADS = 16


class ConcurrencyLimitMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        settings = get_settings()
        self.limit = settings.max_concurrent_requests
        self.queue_timeout = settings.request_queue_timeout_seconds
        self._places: Any = None

    def _semaphore(self) -> Any:
        if self._places is None:
            self._places = anyio.Semaphore(self.limit)
            threads = anyio.to_thread.current_default_thread_limiter()
            threads.total_tokens = max(threads.total_tokens, self.limit + SPARE_THREADS)
        return self._places

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        places = self._semaphore()
        with anyio.move_on_after(self.queue_timeout) as waiting:
            await places.acquire()
        if waiting.cancelled_caught:
            request = Request(scope)
            busy = problem(request, status=503, code="server_busy",
                           title="服务繁忙，请稍后重试" if negotiate(request) != "en" else "The server is busy; retry shortly",
                           headers={"Retry-After": "1"})
            await busy(scope, receive, send)
            return
        try:
            await self.app(scope, receive, send)
        finally:
            places.release()
