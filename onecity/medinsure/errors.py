"""The medinsure core's errors, each with a stable `code` and zh/en messages (rendered as problem+json)."""

from __future__ import annotations

from onecity.errors import Conflict, DomainError, Forbidden, InvalidInput, NotFound


class PolicyNotFound(NotFound):
    code = "medinsure_policy_not_found"
    message_zh = "没有适用的医保政策"
    message_en = "No medical-insurance policy applies"


class PolicyRejected(InvalidInput):
    code = "medinsure_policy_invalid"
    message_zh = "医保政策文件无效"
    message_en = "The policy document is not valid"


class PolicyVersionTaken(Conflict):
    code = "medinsure_policy_version_taken"
    message_zh = "该政策版本已发布"
    message_en = "This policy version is already published"


class NotAnInstitution(NotFound):
    code = "medinsure_not_an_institution"
    message_zh = "该机构不是医保定点机构"
    message_en = "This organisation is not a designated medical-insurance institution"


class InstitutionInvalid(InvalidInput):
    code = "medinsure_institution_invalid"
    message_zh = "定点机构登记信息无效"
    message_en = "The institution registration is not valid"


class NotInsured(NotFound):
    code = "medinsure_not_insured"
    message_zh = "未参加医保"
    message_en = "This person is not insured"


class EnrolmentInvalid(InvalidInput):
    code = "medinsure_enrolment_invalid"
    message_zh = "参保信息无效"
    message_en = "The enrolment is not valid"


class AlreadyEnrolled(Conflict):
    code = "medinsure_already_enrolled"
    message_zh = "已参保，参保类型不同"
    message_en = "Already insured under another scheme"


class CodeNotActivated(Conflict):
    code = "medinsure_code_not_activated"
    message_zh = "医保码尚未激活，请先刷脸激活"
    message_en = "The insurance code is not activated; activate it with face verification first"


class CodeInvalid(DomainError):
    code = "medinsure_code_invalid"
    status = 400
    message_zh = "医保码无效"
    message_en = "The insurance code is not valid"


class CodeExpired(DomainError):
    code = "medinsure_code_expired"
    status = 400
    message_zh = "医保码已过期，请刷新后重试"
    message_en = "The insurance code has expired; refresh it and try again"


class CodeUsed(Conflict):
    code = "medinsure_code_used"
    message_zh = "医保码已使用，请刷新后重试"
    message_en = "This insurance code has already been used; refresh it and try again"


class NotAllowedForRelative(Forbidden):
    code = "medinsure_relative_not_allowed"
    message_zh = "没有为该亲属办理医保的授权"
    message_en = "No family link allows acting for this relative's medical insurance"


class VisitNotFound(NotFound):
    code = "medinsure_visit_not_found"
    message_zh = "就诊记录不存在"
    message_en = "No such visit"


class VisitTypeInvalid(InvalidInput):
    code = "medinsure_visit_type_invalid"
    message_zh = "就诊类型与机构不符"
    message_en = "This visit type is not possible at this institution"


class VisitStateInvalid(Conflict):
    code = "medinsure_visit_state_invalid"
    message_zh = "就诊状态不允许该操作"
    message_en = "The visit's status does not allow this"


class FeeLineInvalid(InvalidInput):
    """A fee line is refused; `reason` (extra) is unknown_code | bad_quantity | price_mismatch |
    bad_price | duplicate_line, `line_no` and `item_code` say which."""

    code = "medinsure_fee_line_invalid"
    message_zh = "费用明细有误"
    message_en = "A fee line is not valid"


class UnknownCatalogueCode(FeeLineInvalid):
    code = "medinsure_unknown_code"
    message_zh = "医保目录中没有该项目编码"
    message_en = "The item code is not in the catalogue"


class QuantityInvalid(FeeLineInvalid):
    code = "medinsure_quantity_invalid"
    message_zh = "数量必须是正整数"
    message_en = "The quantity must be a whole number of at least 1"


class PriceMismatch(FeeLineInvalid):
    code = "medinsure_price_mismatch"
    message_zh = "单价与目录定价不符"
    message_en = "The unit price does not match the catalogue price"


class PriceInvalid(FeeLineInvalid):
    code = "medinsure_price_invalid"
    message_zh = "单价无效"
    message_en = "The unit price is not valid"


class NotCovered(Conflict):
    code = "medinsure_not_covered"
    message_zh = "该就诊类型或机构等级不在医保支付范围内"
    message_en = "This visit type or institution level is not covered"


class PresettlementStale(Conflict):
    code = "medinsure_presettlement_stale"
    message_zh = "结算金额已变化，请重新确认"
    message_en = "The amounts have changed since the pre-settlement; confirm the new amounts"


class CounterNotAllowed(Forbidden):
    code = "medinsure_counter_not_allowed"
    message_zh = "需由参保人在手机上确认支付"
    message_en = "The insured person must confirm this payment in the app"


class FamilyPayerInvalid(Forbidden):
    code = "medinsure_family_payer_invalid"
    message_zh = "该亲属的个人账户不能用于家庭共济"
    message_en = "This relative's personal account cannot pay (family aid not allowed)"


class PayLaterNotAllowed(Forbidden):
    code = "medinsure_pay_later_not_allowed"
    message_zh = "暂不符合先诊疗后付费条件"
    message_en = "Treat-first-pay-later is not available to this person"


class BalanceInsufficient(Conflict):
    code = "medinsure_balance_insufficient"
    message_zh = "余额不足，无法完成结算"
    message_en = "A payer's balance is not enough to settle"


class SettlementNotFound(NotFound):
    code = "medinsure_settlement_not_found"
    message_zh = "结算记录不存在"
    message_en = "No such settlement"


class RefundLinesInvalid(InvalidInput):
    code = "medinsure_refund_lines_invalid"
    message_zh = "退费明细无效"
    message_en = "The lines to refund are not valid"


class RefundExceedsBill(Conflict):
    code = "medinsure_refund_exceeds_bill"
    message_zh = "退费超过账单可退部分（该明细已退费）"
    message_en = "The refund exceeds what is left of the bill (a line was already refunded)"


class ReceiptInvalid(InvalidInput):
    code = "medinsure_receipt_invalid"
    message_zh = "电子票据无效"
    message_en = "The electronic receipt is not valid"


class PharmacyPriceMissing(InvalidInput):
    code = "medinsure_pharmacy_price_missing"
    message_zh = "该药店未销售此项目"
    message_en = "This pharmacy does not sell this item"


LINE_ERRORS: dict[str, type[FeeLineInvalid]] = {
    "unknown_code": UnknownCatalogueCode,
    "bad_quantity": QuantityInvalid,
    "price_mismatch": PriceMismatch,
    "bad_price": PriceInvalid,
}
