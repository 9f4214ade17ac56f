"""The workflow state machine, over every shipped definition.

Generated from the definitions themselves: every (state, action) pair a workflow does not declare
is refused with IllegalTransition for every kind of actor; every declared pair is refused with
ActionNotAllowed for the wrong kind of actor and for staff without one of the named roles; and a
random walk shows that only legal actions ever change the state.
"""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from onecity.services.workflow import definitions, engine
from onecity.services.workflow.errors import ActionNotAllowed, IllegalTransition, WorkflowNotFound
from onecity.services.workflow.model import AGENCY_ROLES, Workflow

KINDS = ("staff", "applicant", "system")
ALL_ROLES = frozenset(AGENCY_ROLES)
WORKFLOWS = [definitions.get(i) for i in definitions.all_ids()]


def _names(wf: Workflow) -> set[str]:
    # every action name any shipped workflow uses, plus one nobody declares
    return {a.name for w in WORKFLOWS for a in w.actions} | {"teleport"}


def test_the_contracted_workflows_ship() -> None:
    assert {"instant", "review_one_step", "review_two_step", "auto_check", "review_then_pay"} <= set(
        definitions.all_ids()
    )
    with pytest.raises(WorkflowNotFound):
        definitions.get("no_such_flow")


@pytest.mark.parametrize("wf", WORKFLOWS, ids=lambda w: w.id)
def test_every_undeclared_pair_is_an_illegal_transition(wf: Workflow) -> None:
    refused = 0
    for state, action in itertools.product(wf.states, _names(wf)):
        if engine.find_action(wf, state, action) is not None:
            continue
        for kind in KINDS:
            with pytest.raises(IllegalTransition):
                engine.transition(wf, state, action, actor_kind=kind, roles=ALL_ROLES)
            refused += 1
    assert refused > 0
    # a state the workflow does not know is illegal too
    with pytest.raises(IllegalTransition):
        engine.transition(wf, "nowhere", wf.actions[0].name, actor_kind=wf.actions[0].actor, roles=ALL_ROLES)


@pytest.mark.parametrize("wf", WORKFLOWS, ids=lambda w: w.id)
def test_every_declared_pair_refuses_the_wrong_actor(wf: Workflow) -> None:
    for a in wf.actions:
        for state in a.from_:
            for kind in KINDS:
                if kind == a.actor:
                    continue
                with pytest.raises(ActionNotAllowed):
                    engine.transition(wf, state, a.name, actor_kind=kind, roles=ALL_ROLES)
            if a.actor == "staff":
                for role in sorted(ALL_ROLES - set(a.roles)):
                    with pytest.raises(ActionNotAllowed):
                        engine.transition(wf, state, a.name, actor_kind="staff", roles=frozenset({role}))
                with pytest.raises(ActionNotAllowed):
                    engine.transition(wf, state, a.name, actor_kind="staff", roles=frozenset())
                for role in a.roles:
                    t = engine.transition(wf, state, a.name, actor_kind="staff", roles=frozenset({role}))
                    assert t.to_state == a.to
            else:
                t = engine.transition(wf, state, a.name, actor_kind=a.actor)
                assert (t.from_state, t.to_state, t.outcome) == (state, a.to, wf.states[a.to].outcome)


@pytest.mark.parametrize("wf", WORKFLOWS, ids=lambda w: w.id)
def test_actions_available_are_exactly_the_permitted_ones(wf: Workflow) -> None:
    for state, kind in itertools.product(wf.states, KINDS):
        for roles in (frozenset(), frozenset({"reviewer"}), frozenset({"admin"}), frozenset({"developer"})):
            offered = {a.name for a in engine.actions_available(wf, state, kind, roles)}
            permitted = set()
            for name in _names(wf):
                try:
                    engine.transition(wf, state, name, actor_kind=kind, roles=roles)
                except (IllegalTransition, ActionNotAllowed):
                    continue
                permitted.add(name)
            assert offered == permitted


def test_developers_never_decide() -> None:
    for wf in WORKFLOWS:
        for state in wf.states:
            assert engine.actions_available(wf, state, "staff", frozenset({"developer"})) == []


def test_worked_path_rejected_then_resubmitted_then_approved() -> None:
    wf = definitions.get("review_one_step")
    rev = frozenset({"reviewer"})
    path = [
        ("claim", "staff", rev, "in_review"),
        ("reject", "staff", rev, "rejected"),
        ("resubmit", "applicant", frozenset(), "submitted"),
        ("claim", "staff", rev, "in_review"),
        ("approve", "staff", rev, "approved"),
    ]
    state = wf.initial
    for action, kind, roles, expected in path:
        t = engine.transition(wf, state, action, actor_kind=kind, roles=roles)  # type: ignore[arg-type]
        assert t.to_state == expected
        state = t.to_state
    assert wf.states[state].terminal and wf.states[state].outcome == "approved"
    # a reviewer recommends in two steps, only the head approves
    two = definitions.get("review_two_step")
    with pytest.raises(ActionNotAllowed):
        engine.transition(two, "pending_approval", "approve", actor_kind="staff", roles=rev)
    assert engine.transition(
        two, "pending_approval", "approve", actor_kind="staff", roles=frozenset({"owner"})
    ).action.effects


_step = st.tuples(
    st.sampled_from(sorted({a.name for w in WORKFLOWS for a in w.actions} | {"teleport"})),
    st.sampled_from(KINDS),
    st.frozensets(st.sampled_from(sorted(AGENCY_ROLES)), max_size=2),
)


@settings(max_examples=150, deadline=None)
@given(wf_id=st.sampled_from(definitions.all_ids()), steps=st.lists(_step, max_size=30))
def test_random_walk_only_legal_actions_change_state(wf_id: str, steps: list) -> None:
    wf = definitions.get(wf_id)
    state = wf.initial
    for action, kind, roles in steps:
        declared = engine.find_action(wf, state, action)
        try:
            t = engine.transition(wf, state, action, actor_kind=kind, roles=roles)
        except IllegalTransition:
            assert declared is None
            continue
        except ActionNotAllowed:
            assert declared is not None
            assert declared.actor != kind or not (roles & set(declared.roles))
            continue
        assert declared is not None and declared.actor == kind
        assert t.to_state == declared.to
        state = t.to_state
        assert state in wf.states
    if wf.states[state].terminal:
        assert engine.actions_available(wf, state, "staff", frozenset(AGENCY_ROLES)) == []
        assert engine.actions_available(wf, state, "applicant") == []
        assert engine.actions_available(wf, state, "system") == []


@pytest.mark.parametrize(("wf_id", "queue"), [("review_one_step", "submitted"), ("review_two_step", "submitted"),
                                              ("review_then_pay", "submitted"), ("auto_check", "referred"),
                                              ("auto_check_final", "referred")])
def test_release_puts_a_claimed_application_back_in_the_queue(wf_id: str, queue: str) -> None:
    wf = definitions.get(wf_id)
    t = engine.transition(wf, "in_review", "release", actor_kind="staff", roles=frozenset({"reviewer"}))
    assert (t.to_state, t.action.releases, t.action.needs_claim) == (queue, True, True)
    assert set(t.action.claim_override) == {"admin", "owner"}
    for state in set(wf.states) - {"in_review"}:  # only a claimed application can be released
        with pytest.raises(IllegalTransition):
            engine.transition(wf, state, "release", actor_kind="staff", roles=ALL_ROLES)
    with pytest.raises(ActionNotAllowed):
        engine.transition(wf, "in_review", "release", actor_kind="applicant")


def test_auto_check_final_offers_no_resubmit_after_rejection() -> None:
    final = definitions.get("auto_check_final")
    assert final.states["rejected"].terminal and final.states["rejected"].outcome == "rejected"
    with pytest.raises(IllegalTransition):
        engine.transition(final, "rejected", "resubmit", actor_kind="applicant")
    assert engine.transition(final, "needs_info", "resubmit", actor_kind="applicant").to_state == "submitted"
    # the general auto_check still lets the applicant resubmit a rejected application
    assert engine.transition(definitions.get("auto_check"), "rejected", "resubmit",
                             actor_kind="applicant").to_state == "submitted"


def test_the_applicants_turn_is_where_only_they_can_act() -> None:
    """Where the agency's time limit pauses (applications.is_overdue): 补正 and 待缴费, not review."""
    one, pay = definitions.get("review_one_step"), definitions.get("review_then_pay")
    assert one.applicants_turn("needs_info") and pay.applicants_turn("awaiting_payment")
    assert not one.applicants_turn("submitted") and not one.applicants_turn("in_review")
    assert not one.applicants_turn("approved")  # terminal: nothing leaves it, nobody's turn
    assert not pay.applicants_turn("submitted")  # staff claim it there, though the applicant may withdraw
