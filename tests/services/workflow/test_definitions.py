"""Definitions that could not run as meant are refused when loaded."""

from __future__ import annotations

import copy
import json
from importlib import resources
from typing import Any

import pytest

from onecity.services.workflow import definitions
from onecity.services.workflow.errors import InvalidWorkflow


def _base() -> dict[str, Any]:
    text = (resources.files("onecity.services.workflow") / "data" / "review_one_step.json").read_text("utf-8")
    return json.loads(text)


def test_the_base_definition_loads() -> None:
    assert definitions.parse(_base()).id == "review_one_step"


def _broken(mutate) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    raw = copy.deepcopy(_base())
    mutate(raw)
    return raw


def _action(raw: dict[str, Any], name: str) -> dict[str, Any]:
    return next(a for a in raw["actions"] if a["name"] == name)


CASES = {
    "unknown target state": (lambda r: _action(r, "approve").update(to="granted"), "unknown state 'granted'"),
    "unknown source state": (
        lambda r: _action(r, "claim").update({"from": ["queued"]}),
        "unknown state 'queued'",
    ),
    "unknown initial": (lambda r: r.update(initial="draft"), "initial state"),
    "unreachable state": (
        lambda r: r["states"].update(
            archived={"label": {"zh": "归档", "en": "Archived"}, "terminal": True, "outcome": "approved"}
        ),
        "'archived' is unreachable",
    ),
    "terminal with outgoing": (
        lambda r: r["actions"].append(
            {"name": "reopen", "from": ["approved"], "to": "in_review", "actor": "staff", "roles": ["admin"]}
        ),
        "terminal state 'approved' has outgoing",
    ),
    "open dead end": (
        lambda r: r.update(actions=[a for a in r["actions"] if a["name"] != "resubmit"]),
        "open state 'rejected' has no outgoing",
    ),
    "terminal without outcome": (lambda r: r["states"]["approved"].pop("outcome"), "has no outcome"),
    "staff reopens a decided state": (
        lambda r: r["actions"].append(
            {
                "name": "reconsider",
                "from": ["rejected"],
                "to": "in_review",
                "actor": "staff",
                "roles": ["admin"],
            }
        ),
        "may be left only by the applicant",
    ),
    "duplicate action from a state": (
        lambda r: r["actions"].append(
            {"name": "claim", "from": ["submitted"], "to": "needs_info", "actor": "staff", "roles": ["admin"]}
        ),
        "declared twice",
    ),
    "staff action without roles": (lambda r: _action(r, "claim").update(roles=[]), "names no roles"),
    "unknown role": (lambda r: _action(r, "claim").update(roles=["janitor"]), "unknown roles"),
    "applicant action with roles": (
        lambda r: _action(r, "withdraw").update(roles=["admin"]),
        "must not name roles",
    ),
    "applicant action needing a claim": (
        lambda r: _action(r, "withdraw").update(needs_claim=True),
        "cannot claim",
    ),
    "applicant action releasing": (
        lambda r: _action(r, "withdraw").update(releases=True),
        "cannot claim, release",
    ),
    "claim and release at once": (lambda r: _action(r, "release").update(claims=True), "both claim and release"),
    "claim override without needs_claim": (
        lambda r: _action(r, "release").update(needs_claim=False),
        "claim_override needs needs_claim",
    ),
    "claim override outside the roles": (
        lambda r: _action(r, "release").update(roles=["reviewer", "admin"], claim_override=["owner"]),
        "claim_override needs needs_claim",
    ),
    "unknown field": (lambda r: _action(r, "claim").update(colour="red"), "colour"),
    "bad actor kind": (lambda r: _action(r, "claim").update(actor="robot"), "actor"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_broken_definition_is_refused_at_load(case: str) -> None:
    mutate, needle = CASES[case]
    with pytest.raises(InvalidWorkflow) as err:
        definitions.parse(_broken(mutate))
    assert needle in str(err.value)
