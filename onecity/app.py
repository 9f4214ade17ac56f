"""Builds the FastAPI app from each module's `api.router` (JSON) and `pages.router` (HTML).

Modules are discovered: any `onecity.<module>[.<sub>].api|pages` with a `router` is included, and
any `…subscribers` module is imported so its outbox subscribers register.
"""

from __future__ import annotations

import gc
import importlib
import pkgutil
from pathlib import Path
from types import ModuleType

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

import onecity
from onecity import errors
from onecity.concurrency import ConcurrencyLimitMiddleware
from onecity.config import get_settings
from onecity.idempotency import IdempotencyMiddleware
from onecity.observability import RequestContextMiddleware, configure_logging, metrics_endpoint

ROUTER_MODULES = ("api", "pages")
STATIC = Path(__file__).parent / "web" / "static"


def discover(leaf_names: tuple[str, ...]) -> list[ModuleType]:
    found = []
    for info in pkgutil.walk_packages(onecity.__path__, prefix="onecity."):
        if info.name.rsplit(".", 1)[-1] in leaf_names and ".demo" not in info.name:
            found.append(importlib.import_module(info.name))
    return found


def load_subscribers() -> None:
    """Import every module's outbox subscribers and periodic jobs (what the worker runs)."""
    discover(("subscribers", "jobs"))


def create_server_app() -> FastAPI:
    """The app as a server process runs it (`onecity serve`, the benchmarks): `create_app`, then what
    start-up built — routes, templates, policies, the face models — moved out of the garbage
    collector's reach with `gc.freeze()`. It lives as long as the worker, and a full collection over its
    ~280,000 objects stopped a worker for 116–197 ms under load (frozen: 17–60 ms), which was the tail
    of the medical-insurance benchmark's latency. Tests build many apps and use `create_app`."""
    app = create_app()
    gc.collect()
    gc.freeze()
    return app


def create_app() -> FastAPI:
    settings = get_settings()
    configure_logging(settings.log_level, settings.log_json)
    app = FastAPI(
        title="OneCity",
        version=onecity.__version__ if hasattr(onecity, "__version__") else "0.1.0",
        description="A city's public services and payments on citizens' phones.",
    )
    errors.install(app)
    from onecity.identity.principals import principal_key, resolve

    app.state.resolve_principal = resolve
    app.state.principal_key = principal_key

    @app.get("/healthz", tags=["ops"])
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    app.add_route("/metrics", metrics_endpoint, include_in_schema=False)
    for module in discover(ROUTER_MODULES):
        router = getattr(module, "router", None)
        if router is not None:
            app.include_router(router)
    load_subscribers()
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    # Outermost last: the request id exists before anything else; then at most
    # max_concurrent_requests requests go further (onecity/concurrency.py).
    app.add_middleware(IdempotencyMiddleware)
    app.add_middleware(ConcurrencyLimitMiddleware)
    app.add_middleware(RequestContextMiddleware)
    return app
