"""The shape of a workflow definition (parsed from `data/<id>.json`), frozen once loaded."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

ActorKind = Literal["staff", "applicant", "system"]
Outcome = Literal["approved", "rejected", "withdrawn"]

# The roles an agency's staff may hold (identity.orgs, kind `agency`); a staff action names some.
AGENCY_ROLES = frozenset({"owner", "admin", "operator", "reviewer", "developer"})


class State(BaseModel):
    """A step. `terminal`: nothing leaves it. `outcome`: the application is decided here (办结);
    a decided state that is not terminal (rejected) may be reopened by the applicant only."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    label: dict[str, str]
    sla_hours: int | None = Field(default=None, ge=0)
    terminal: bool = False
    outcome: Outcome | None = None


class Action(BaseModel):
    """One arrow of the state machine: `name` taken from any of `from_` leads to `to`.

    `claims`: taking it makes the actor the assignee (受理). `releases`: taking it clears the
    assignee (back in the queue). `needs_claim`: only the assignee may take it — or staff holding
    one of the `claim_override` roles (e.g. an admin releasing a colleague's case). `reason`: whether a reason must (or may) be given. `effects`: the service item's
    effects of approval run with it. `payment`: "request" sets the fee as due, "collect" pays it.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    name: str = Field(pattern=r"^[a-z][a-z_]*$")
    from_: tuple[str, ...] = Field(alias="from", min_length=1)
    to: str
    actor: ActorKind
    roles: tuple[str, ...] = ()
    label: dict[str, str] = {}
    claims: bool = False
    releases: bool = False
    needs_claim: bool = False
    claim_override: tuple[str, ...] = ()
    reason: Literal["required", "optional"] | None = None
    effects: bool = False
    payment: Literal["request", "collect"] | None = None


class Workflow(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    name: dict[str, str]
    initial: str
    states: dict[str, State]
    actions: tuple[Action, ...]

    def state(self, name: str) -> State:
        return self.states[name]

    def is_terminal(self, name: str) -> bool:
        return self.states[name].terminal

    def applicants_turn(self, name: str) -> bool:
        """Only the applicant can move the application on from `name` (补正, 待缴费): the agency's
        time limit does not run out while it waits there."""
        leaving = [a for a in self.actions if name in a.from_]
        return bool(leaving) and all(a.actor == "applicant" for a in leaving)
