"""Policy files: loading a policy JSON file, the demo city's (鹏城 pengcheng) policies, picking a year's."""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from pathlib import Path

from onecity.medinsure.rules.errors import PolicyInvalid
from onecity.medinsure.rules.policy import Policy, policy_from_json

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
DEMO_CITY = "pengcheng"


def load_policy(path: str | Path) -> Policy:
    """Read and validate a policy JSON file; PolicyInvalid (prefixed with the file name) if it is bad."""
    p = Path(path)
    try:
        doc = json.loads(p.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise PolicyInvalid(f"{p.name}: cannot read the policy: {exc}") from exc
    try:
        return policy_from_json(doc)
    except PolicyInvalid as exc:
        raise PolicyInvalid(f"{p.name}: {exc}") from exc


@functools.cache
def demo_policies() -> tuple[Policy, ...]:
    """The demo city's (pengcheng, 鹏城) policies, oldest year first: 2025 and 2026 (version 1 each)."""
    return tuple(sorted((load_policy(f) for f in sorted(DATA_DIR.glob(f"{DEMO_CITY}_*.json"))),
                        key=lambda p: (p.year, p.version)))


def demo_policy(year: int) -> Policy:
    """The demo city's policy of `year` (its latest version); KeyError if there is none."""
    found = [p for p in demo_policies() if p.year == year]
    if not found:
        raise KeyError(f"no demo policy for {year}")
    return found[-1]


def policy_for(policies: Sequence[Policy], year: int) -> Policy | None:
    """The latest version among `policies` for `year` (the policy of the settlement date's year)."""
    found = [p for p in policies if p.year == year]
    return max(found, key=lambda p: p.version) if found else None
