"""The state machine: whether an actor may take an action now, and where it leads.

Two distinct refusals, checked in this order: an action that does not leave the current state
(or a terminal state, or an unknown action) is an IllegalTransition (409) whoever asks; an action
that does leave it but belongs to another kind of actor, or to staff roles the actor lacks, is
ActionNotAllowed (403). Claims (who is the assignee) live in the application, not here: the
returned Transition says whether the action needs one.
"""

from __future__ import annotations

from dataclasses import dataclass

from onecity.services.workflow import definitions
from onecity.services.workflow.errors import ActionNotAllowed, IllegalTransition
from onecity.services.workflow.model import Action, ActorKind, Outcome, Workflow

__all__ = ["Transition", "actions_available", "definitions", "find_action", "transition"]


@dataclass(frozen=True)
class Transition:
    workflow_id: str
    action: Action
    from_state: str
    to_state: str
    terminal: bool
    outcome: Outcome | None

    @property
    def name(self) -> str:
        return self.action.name


def find_action(workflow: Workflow, state: str, action: str) -> Action | None:
    """The declared action `action` leaving `state`, if any."""
    for a in workflow.actions:
        if a.name == action and state in a.from_:
            return a
    return None


def _permitted(a: Action, actor_kind: ActorKind, roles: frozenset[str]) -> bool:
    if a.actor != actor_kind:
        return False
    return a.actor != "staff" or bool(roles & set(a.roles))


def transition(
    workflow: Workflow, state: str, action: str, *, actor_kind: ActorKind, roles: frozenset[str] = frozenset()
) -> Transition:
    if state not in workflow.states:
        raise IllegalTransition(
            f"unknown state {state!r} in workflow {workflow.id!r}", state=state, action=action
        )
    a = find_action(workflow, state, action)
    if a is None:
        raise IllegalTransition(
            f"{action!r} is not possible from {state!r} in workflow {workflow.id!r}",
            state=state,
            action=action,
        )
    if not _permitted(a, actor_kind, roles):
        raise ActionNotAllowed(
            f"{action!r} from {state!r} is for {a.actor}"
            + (f" with a role in {list(a.roles)}" if a.roles else ""),
            state=state,
            action=action,
        )
    target = workflow.states[a.to]
    return Transition(
        workflow_id=workflow.id,
        action=a,
        from_state=state,
        to_state=a.to,
        terminal=target.terminal,
        outcome=target.outcome,
    )


def actions_available(
    workflow: Workflow, state: str, actor_kind: ActorKind, roles: frozenset[str] = frozenset()
) -> list[Action]:
    """The actions this actor may take from `state`, in declaration order."""
    return [a for a in workflow.actions if state in a.from_ and _permitted(a, actor_kind, roles)]
