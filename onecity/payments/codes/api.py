"""JSON API of the payment code (for the citizen app).

Merchants do not call this module: they send a scanned code to trade (`pay_by_code`), which calls
`service.consume_payment_code`.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Response

from onecity.authz import Principal, allow
from onecity.deps import DbSession
from onecity.payments.codes import service
from onecity.payments.codes.schemas import (
    DeviceIn,
    DeviceOut,
    SettingsIn,
    SettingsOut,
)

router = APIRouter(tags=["payment codes"])

CITIZEN = allow("citizen")
VERIFIED_CITIZEN = allow("citizen", verified=True)


@router.post("/v1/payment-code/devices", status_code=201, response_model=DeviceOut)
def provision_device(
    body: DeviceIn, db: DbSession, principal: Principal = Depends(VERIFIED_CITIZEN)
) -> DeviceOut:
    """Provision this signed-in device: the response carries the secret (once), the device number and
    the TOTP parameters from which the app computes its payment code offline."""
    assert principal.id is not None
    return service.provision_device(
        db, citizen_id=principal.id, session_id=principal.session_id, label=body.label
    )


@router.get("/v1/payment-code/devices", response_model=list[DeviceOut])
def list_devices(db: DbSession, principal: Principal = Depends(CITIZEN)) -> list[DeviceOut]:
    assert principal.id is not None
    return service.list_devices(db, citizen_id=principal.id)


@router.delete("/v1/payment-code/devices/{device_id}", status_code=204)
def revoke_device(device_id: str, db: DbSession, principal: Principal = Depends(CITIZEN)) -> Response:
    assert principal.id is not None
    service.revoke_device(db, citizen_id=principal.id, device_id=device_id)
    return Response(status_code=204)


@router.get("/v1/payment-code/settings", response_model=SettingsOut)
def get_settings(db: DbSession, principal: Principal = Depends(CITIZEN)) -> SettingsOut:
    assert principal.id is not None
    return service.get_settings(db, citizen_id=principal.id)


@router.put("/v1/payment-code/settings", response_model=SettingsOut)
def put_settings(body: SettingsIn, db: DbSession, principal: Principal = Depends(CITIZEN)) -> SettingsOut:
    """The small-amount limit (小额免密) in fen: 0 (always confirm) to 200000 (2,000.00 yuan)."""
    assert principal.id is not None
    return service.set_small_amount_limit(db, citizen_id=principal.id, limit_fen=body.small_amount_limit_fen)
