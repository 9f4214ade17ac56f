"""The registry of effects of approval and of automatic checks that other areas add.

An effect runs when an application reaches approval (a workflow action with `effects: true`), in
the same transaction as the action: a DomainError it raises fails the whole action and nothing
changes. A service item names its effects in `on_approve` (`{"effect": "<name>", ...config}`).

An automatic check (workflow `auto_check`) decides whether the system approves at once: it returns
(passed, reason); a failed check refers the application to staff. The item names it with a
`check` key in an `on_approve` entry, or an entry whose effect name also has a registered check.

Other areas register in a module named `effects` anywhere under `onecity.services` (for example
`onecity/services/provident/effects.py`):

    @register_effect("provident.withdrawal")
    def pay_out(session: Session, application: ApplicationOut, config: dict) -> None: ...

    @register_check("provident.withdrawal")
    def rules_pass(session: Session, application: ApplicationOut) -> tuple[bool, str]: ...

`load_all()` imports every such module once (a pkgutil walk, like subscribers) before effects run.
The built-in effects `issue_credential` and `request_payment` are run by the service itself.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session

from onecity.services.applications.schemas import ApplicationOut

EffectFn = Callable[[Session, ApplicationOut, dict[str, Any]], None]
CheckFn = Callable[[Session, ApplicationOut], tuple[bool, str]]

BUILTIN = frozenset({"issue_credential", "request_payment"})

_EFFECTS: dict[str, EffectFn] = {}
_CHECKS: dict[str, CheckFn] = {}
_loaded = False


def register_effect(name: str) -> Callable[[EffectFn], EffectFn]:
    if name in BUILTIN:
        raise ValueError(f"effect {name!r} is built in")

    def register(fn: EffectFn) -> EffectFn:
        _EFFECTS[name] = fn
        return fn

    return register


def register_check(name: str) -> Callable[[CheckFn], CheckFn]:
    def register(fn: CheckFn) -> CheckFn:
        _CHECKS[name] = fn
        return fn

    return register


def load_all() -> None:
    """Import every `onecity.services.*.effects` module (once)."""
    global _loaded
    if _loaded:
        return
    import onecity.services

    for info in pkgutil.walk_packages(onecity.services.__path__, prefix="onecity.services."):
        if info.name.rsplit(".", 1)[-1] == "effects" and info.name != __name__:
            importlib.import_module(info.name)
    _loaded = True


def effect(name: str) -> EffectFn | None:
    load_all()
    return _EFFECTS.get(name)


def check(name: str) -> CheckFn | None:
    load_all()
    return _CHECKS.get(name)


def effect_names() -> list[str]:
    load_all()
    return sorted(BUILTIN | set(_EFFECTS))
