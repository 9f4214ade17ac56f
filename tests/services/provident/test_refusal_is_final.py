"""A refused withdrawal's application is final (workflow `auto_check_final`): its hold was released
on rejection, so resubmitting it would reach approval with nothing held (hpf_withdrawal_not_held).
The citizen applies anew instead. Asking for more information keeps the hold: that resubmission
is still offered and still pays."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from onecity.authz import Principal
from onecity.identity.orgs.models import Org
from onecity.services.applications import service as applications
from onecity.services.provident import service
from onecity.services.provident.service import WITHDRAW_ACT
from onecity.services.workflow.errors import IllegalTransition
from tests.identity.family.factories import Person, make_face_grant
from tests.services.provident.factories import deliver_application_events, reviewer, withdrawal


def _referred(session: Session, wang: Person) -> str:
    # 2,000.00 with a registered lease: over the 1,500.00 self-declared limit, so staff decide
    w = service.request_withdrawal(session, citizen_id=wang.id, data=withdrawal(
        amount_fen=200_000, registered_lease=True, grant=make_face_grant(session, wang.citizen, act=WITHDRAW_ACT)),
        actor="t")
    assert w.status == "held" and w.application_id
    return w.application_id


def test_the_items_run_the_final_workflow(session: Session, centre: Org) -> None:
    from onecity.services.catalogue import service as catalogue

    for reason in ("rent", "purchase", "retirement"):
        assert catalogue.get_item(session, code=f"hpf.withdraw.{reason}").workflow == "auto_check_final"


def test_a_rejected_withdrawal_offers_no_resubmit(session: Session, centre: Org, wang: Person) -> None:
    app_id = _referred(session, wang)
    staff = reviewer(session, centre)
    applications.act(session, application_id=app_id, action="claim", principal=staff)
    a = applications.act(session, application_id=app_id, action="reject", principal=staff, reason="租赁备案不符")
    assert (a.state, a.outcome) == ("rejected", "rejected")
    deliver_application_events(session)
    me = Principal(kind="citizen", id=wang.id, real_name_verified=True)
    seen = applications.get_application(session, application_id=app_id, citizen_id=wang.id, viewer=me)
    assert seen.available_actions == []
    with pytest.raises(IllegalTransition):
        applications.act(session, application_id=app_id, action="resubmit", principal=me)
    assert applications.get_application(session, application_id=app_id).state == "rejected"
    # the amount is back in the account; applying anew works
    assert service.get_account(session, citizen_id=wang.id).held_fen == 0
    again = service.request_withdrawal(session, citizen_id=wang.id, data=withdrawal(
        grant=make_face_grant(session, wang.citizen, act=WITHDRAW_ACT)), actor="t")
    assert again.status == "paid"


def test_more_information_keeps_the_hold_and_resubmits(session: Session, centre: Org, wang: Person) -> None:
    app_id = _referred(session, wang)
    staff = reviewer(session, centre)
    applications.act(session, application_id=app_id, action="claim", principal=staff)
    applications.act(session, application_id=app_id, action="request_info", principal=staff, reason="请上传租赁备案")
    deliver_application_events(session)
    assert service.get_account(session, citizen_id=wang.id).held_fen == 200_000
    me = Principal(kind="citizen", id=wang.id, real_name_verified=True)
    a = applications.act(session, application_id=app_id, action="resubmit", principal=me)
    assert a.state == "referred"  # the check still refers it to staff
    applications.act(session, application_id=app_id, action="claim", principal=staff)
    a = applications.act(session, application_id=app_id, action="approve", principal=staff)
    assert a.state == "approved"
    w = service.withdrawals(session, citizen_id=wang.id)[0]
    assert w.status == "paid"


