"""Loading and validating the shipped workflow definitions (`data/*.json`).

A definition is refused at load (InvalidWorkflow) when it could not run as meant: an action from or
to an unknown state, a state no path from the initial state reaches, a terminal state with actions
leaving it, an open state with none, a terminal state without an outcome (or an open one with
one), a decided but reopenable state (an outcome, not terminal — e.g. rejected, which the
applicant may resubmit) left by anyone but the applicant, the same action name twice from one state, staff actions without roles (or with roles an
agency does not have), applicant/system actions with roles, `needs_claim`/`claims`/`releases` on a non-staff action, an
action that both claims and releases, or `claim_override` roles without `needs_claim` or outside
the action's roles.
"""

from __future__ import annotations

import json
from collections import deque
from functools import cache
from importlib import resources
from typing import Any

from pydantic import ValidationError

from onecity.services.workflow.errors import InvalidWorkflow, WorkflowNotFound
from onecity.services.workflow.model import AGENCY_ROLES, Workflow


def parse(raw: dict[str, Any]) -> Workflow:
    """Parse and validate one definition; raises InvalidWorkflow naming every problem found."""
    try:
        wf = Workflow.model_validate(raw)
    except ValidationError as exc:
        raise InvalidWorkflow(f"workflow {raw.get('id')!r}: {exc}") from exc
    problems = _problems(wf)
    if problems:
        raise InvalidWorkflow(f"workflow {wf.id!r}: " + "; ".join(problems), problems=problems)
    return wf


def _problems(wf: Workflow) -> list[str]:
    problems: list[str] = []
    if wf.initial not in wf.states:
        problems.append(f"initial state {wf.initial!r} is not a state")
    seen: set[tuple[str, str]] = set()
    outgoing: dict[str, list[str]] = {s: [] for s in wf.states}
    for a in wf.actions:
        for src in a.from_:
            if src not in wf.states:
                problems.append(f"action {a.name!r} leaves unknown state {src!r}")
                continue
            if (src, a.name) in seen:
                problems.append(f"action {a.name!r} declared twice from {src!r}")
            seen.add((src, a.name))
            outgoing[src].append(a.to)
        if a.to not in wf.states:
            problems.append(f"action {a.name!r} leads to unknown state {a.to!r}")
        if a.actor == "staff":
            if not a.roles:
                problems.append(f"staff action {a.name!r} names no roles")
            unknown = set(a.roles) - AGENCY_ROLES
            if unknown:
                problems.append(f"action {a.name!r} names unknown roles {sorted(unknown)}")
            if a.claims and a.releases:
                problems.append(f"action {a.name!r} cannot both claim and release")
            if a.claim_override and (not a.needs_claim or not set(a.claim_override) <= set(a.roles)):
                problems.append(f"action {a.name!r}: claim_override needs needs_claim and roles among its roles")
        else:
            if a.roles:
                problems.append(f"{a.actor} action {a.name!r} must not name roles")
            if a.needs_claim or a.claims or a.releases or a.claim_override:
                problems.append(f"{a.actor} action {a.name!r} cannot claim, release or need a claim")
    for name, st in wf.states.items():
        if st.terminal and outgoing[name]:
            problems.append(f"terminal state {name!r} has outgoing actions")
        if not st.terminal and not outgoing[name]:
            problems.append(f"open state {name!r} has no outgoing action")
        if st.terminal and st.outcome is None:
            problems.append(f"terminal state {name!r} has no outcome")
        if not st.terminal and st.outcome is not None:
            others = [a.name for a in wf.actions if name in a.from_ and a.actor != "applicant"]
            if others:
                problems.append(f"decided state {name!r} may be left only by the applicant, not {others}")
    if wf.initial in wf.states:
        reached = {wf.initial}
        todo = deque([wf.initial])
        while todo:
            for nxt in outgoing.get(todo.popleft(), []):
                if nxt in wf.states and nxt not in reached:
                    reached.add(nxt)
                    todo.append(nxt)
        for name in wf.states:
            if name not in reached:
                problems.append(f"state {name!r} is unreachable from {wf.initial!r}")
    return problems


@cache
def _shipped() -> dict[str, Workflow]:
    out: dict[str, Workflow] = {}
    folder = resources.files("onecity.services.workflow") / "data"
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".json"):
            continue
        wf = parse(json.loads(entry.read_text(encoding="utf-8")))
        if wf.id != entry.name.removesuffix(".json"):
            raise InvalidWorkflow(f"{entry.name} declares id {wf.id!r}")
        out[wf.id] = wf
    return out


def get(workflow_id: str) -> Workflow:
    """The shipped workflow with this id (WorkflowNotFound otherwise)."""
    try:
        return _shipped()[workflow_id]
    except KeyError:
        raise WorkflowNotFound(f"no workflow {workflow_id!r}") from None


def all_ids() -> list[str]:
    return sorted(_shipped())


def exists(workflow_id: str) -> bool:
    return workflow_id in _shipped()
