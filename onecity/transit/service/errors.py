"""Transit's platform errors, each with a stable code."""

from __future__ import annotations

from onecity.errors import Conflict, InvalidInput, NotFound


class RiderInArrears(Conflict):
    code = "transit_rider_in_arrears"
    message_zh = "乘车欠费未付，请先补缴欠费"
    message_en = "Unpaid fares: pay the arrears first"


class RiderDenied(Conflict):
    code = "transit_rider_denied"
    message_zh = "该乘车账户或设备已被停用"
    message_en = "This rider or device is on the deny-list"


class DeviceKeyInvalid(InvalidInput):
    code = "transit_device_key_invalid"
    message_zh = "设备公钥无效"
    message_en = "The device public key is not a raw 32-byte Ed25519 key (base64)"


class NotAnOperator(NotFound):
    """404, not 403: the caller is a real organisation with the role; it just runs no transit here."""

    code = "transit_not_an_operator"
    message_zh = "该机构不是已登记的公共交通运营方"
    message_en = "This organisation is not a registered transit operator"


class TapNotFound(NotFound):
    code = "transit_tap_not_found"
    message_zh = "找不到该乘车记录"
    message_en = "No such tap"


class CorrectionRefused(Conflict):
    code = "transit_correction_refused"
    message_zh = "该行程无需或不能更正"
    message_en = "This leg cannot be corrected (it is complete, or not missing a tap)"


class NoArrears(Conflict):
    code = "transit_no_arrears"
    message_zh = "没有待补缴的欠费"
    message_en = "There are no arrears to pay"


class ArrearsPaymentFailed(Conflict):
    code = "transit_arrears_payment_failed"
    message_zh = "余额不足，欠费未能补缴"
    message_en = "Insufficient balance to pay the arrears"


class CardTopUpFailed(Conflict):
    code = "transit_card_top_up_failed"
    message_zh = "钱包余额不足，公交卡充值失败"
    message_en = "Insufficient wallet balance for this top-up"


class InvalidTransitInput(InvalidInput):
    code = "transit_input_invalid"
    message_zh = "乘车请求参数有误"
    message_en = "The transit request is not valid"

