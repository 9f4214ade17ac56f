"""Transit's platform API (see onecity.transit for the glossary): ride-code provisioning, the
platform keys and deny-list gates hold, tap upload, trips and fares, charges, post-paid debit and the
e-bus card. Services never commit: the request, job or command owns the transaction."""

from onecity.transit.service import debit, deny, fares, keys, operators, riders, taps
from onecity.transit.service.debit import (
    arrears,
    card,
    card_account_id,
    charges_of,
    debit_due,
    pay_arrears,
    settle_rider,
    top_up_card,
)
from onecity.transit.service.errors import (
    ArrearsPaymentFailed,
    CardTopUpFailed,
    CorrectionRefused,
    DeviceKeyInvalid,
    InvalidTransitInput,
    NoArrears,
    NotAnOperator,
    RiderDenied,
    RiderInArrears,
    TapNotFound,
)
from onecity.transit.service.fares import (
    correct,
    operator_trips,
    price_due,
    price_week,
    reprice,
    revenue,
    trips,
)
from onecity.transit.service.operators import install_fare_system, operator_of, register_operator
from onecity.transit.service.riders import (
    decode_device_key,
    deny_signed_out,
    issue_certificate,
    report_device_lost,
    rider,
    rider_summary,
    set_payment_mode,
)
from onecity.transit.service.taps import list_taps, upload

__all__ = [
    "ArrearsPaymentFailed", "CardTopUpFailed", "CorrectionRefused", "DeviceKeyInvalid", "InvalidTransitInput",
    "NoArrears", "NotAnOperator", "RiderDenied", "RiderInArrears", "TapNotFound",
    "arrears", "card", "card_account_id", "charges_of", "correct", "debit", "debit_due", "decode_device_key",
    "deny", "deny_signed_out", "fares", "install_fare_system", "issue_certificate", "keys", "list_taps",
    "operator_of", "operator_trips", "operators", "pay_arrears", "price_due", "price_week", "register_operator",
    "report_device_lost", "reprice", "revenue", "rider", "rider_summary", "riders", "set_payment_mode",
    "settle_rider", "taps", "top_up_card", "trips", "upload",
]
