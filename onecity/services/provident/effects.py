"""What the applications module runs for a provident fund withdrawal (service items `hpf.withdraw.*`,
workflow `auto_check_final`): the automatic check — the rules' decision taken when the withdrawal was
requested — and, on approval (automatic or by staff), the payout of the held amount to the wallet."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from onecity.services.applications.effects import register_check, register_effect
from onecity.services.applications.schemas import ApplicationOut
from onecity.services.provident import service
from onecity.services.provident.errors import WithdrawalInvalid

NAME = "provident.withdrawal"


def _withdrawal_id(application: ApplicationOut) -> str:
    wid = application.form.get("withdrawal_id")
    if not isinstance(wid, str) or not wid.startswith("hpw_"):
        raise WithdrawalInvalid("the application names no provident fund withdrawal")
    return wid


@register_check(NAME)
def rules_pass(session: Session, application: ApplicationOut) -> tuple[bool, str]:
    """Pass when the rules allowed paying without a person; else refer (why: the rules' code)."""
    w = service.get_withdrawal(session, withdrawal_id=_withdrawal_id(application), citizen_id=application.citizen_id)
    return service.check(session, withdrawal_id=w.withdrawal_id)


@register_effect(NAME)
def pay_out(session: Session, application: ApplicationOut, config: dict[str, Any]) -> None:
    """Approved: post the held amount to the citizen's wallet (idempotent)."""
    wid = _withdrawal_id(application)
    service.get_withdrawal(session, withdrawal_id=wid, citizen_id=application.citizen_id)
    service.pay(session, withdrawal_id=wid, actor=f"application:{application.id}")
