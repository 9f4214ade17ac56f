"""Traffic-police errors, each with a stable code and zh/en messages."""

from __future__ import annotations

from onecity.errors import Conflict, InvalidInput, NotFound


class PlateInvalid(InvalidInput):
    code = "plate_invalid"
    message_zh = "号牌号码格式不正确"
    message_en = "The plate number is not valid"


class VehicleTypeInvalid(InvalidInput):
    code = "vehicle_type_invalid"
    message_zh = "车辆类型不正确"
    message_en = "Unknown vehicle type"


class VehicleExists(Conflict):
    code = "vehicle_exists"
    message_zh = "该号牌已登记在另一位车主名下"
    message_en = "This plate is already registered to another owner"


class VehicleNotFound(NotFound):
    code = "vehicle_not_found"
    message_zh = "找不到该号牌的机动车"
    message_en = "No vehicle with this plate"


class LicenceInvalid(InvalidInput):
    code = "licence_invalid"
    message_zh = "驾驶证信息有误"
    message_en = "The driving licence details are not valid"


class LicenceExists(Conflict):
    code = "licence_exists"
    message_zh = "该驾驶人已有驾驶证记录"
    message_en = "This driver already has a licence record"


class LicenceNotFound(NotFound):
    code = "licence_not_found"
    message_zh = "找不到驾驶证记录"
    message_en = "No such driving licence"


class HolderNotFound(NotFound):
    code = "licence_holder_not_found"
    message_zh = "找不到该身份证号对应的实名用户"
    message_en = "No verified citizen has this ID number"


class ViolationInvalid(InvalidInput):
    code = "violation_invalid"
    message_zh = "违法记录信息有误"
    message_en = "The violation is not valid"


class ViolationCodeUnknown(InvalidInput):
    code = "violation_code_unknown"
    message_zh = "违法代码不存在"
    message_en = "Unknown violation code"


class ViolationConflict(Conflict):
    code = "violation_conflict"
    message_zh = "该抓拍编号已记录了另一条不同的违法"
    message_en = "A different violation was already recorded for this capture id"


class NotAnAuthority(NotFound):  # like any section an organisation does not have
    code = "traffic_not_an_authority"
    message_zh = "本机构不是交通管理部门"
    message_en = "Your organisation is not a traffic-police authority"


class DecisionNumberInvalid(InvalidInput):
    code = "decision_number_invalid"
    message_zh = "决定书编号格式不正确（16位数字，末位为校验码）"
    message_en = "The decision number is not valid (16 digits, the last one a check digit)"


class DecisionNotFound(NotFound):
    code = "decision_not_found"
    message_zh = "找不到该处罚决定书"
    message_en = "No such penalty decision"


class DecisionQrInvalid(InvalidInput):
    code = "decision_qr_invalid"
    message_zh = "决定书二维码无效或已被篡改"
    message_en = "The decision QR is not valid or has been altered"


class FineAlreadyPaid(Conflict):
    code = "fine_already_paid"
    message_zh = "该罚款已缴纳，无需重复缴纳"
    message_en = "This fine has already been paid"


class FineAmountChanged(Conflict):
    code = "fine_amount_changed"
    message_zh = "应缴金额已变化（加处罚款按日计算），请确认后重新缴纳"
    message_en = "The amount due has changed (the late penalty grows daily); confirm it and pay again"
