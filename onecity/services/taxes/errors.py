"""Tax errors, each with a stable code and zh/en messages."""

from __future__ import annotations

from onecity.errors import Conflict, InvalidInput, NotFound


class NotATaxOffice(NotFound):  # like any section an organisation does not have
    code = "tax_not_an_office"
    message_zh = "本机构不是税务机关"
    message_en = "Your organisation is not a tax office"


class TaxItemUnknown(InvalidInput):
    code = "tax_item_unknown"
    message_zh = "税种不存在"
    message_en = "Unknown tax item"


class AssessmentInvalid(InvalidInput):
    code = "tax_assessment_invalid"
    message_zh = "应缴税费信息有误"
    message_en = "The assessment is not valid"


class AssessmentConflict(Conflict):
    code = "tax_assessment_conflict"
    message_zh = "该编号已登记了另一笔不同的应缴税费"
    message_en = "A different assessment was already issued under this reference"


class AssessmentNotFound(NotFound):
    code = "tax_assessment_not_found"
    message_zh = "找不到该笔应缴税费"
    message_en = "No such tax assessment"


class TaxAlreadyPaid(Conflict):
    code = "tax_already_paid"
    message_zh = "该笔税费已缴纳，无需重复缴纳"
    message_en = "This tax has already been paid"


class ReceiptNotFound(NotFound):
    code = "tax_receipt_not_found"
    message_zh = "找不到该完税证明"
    message_en = "No such tax receipt"


class TaxAmountChanged(Conflict):
    code = "tax_amount_changed"
    message_zh = "应缴金额已变化（滞纳金按日计算），请确认后重新缴纳"
    message_en = "The amount due has changed (the surcharge grows daily); confirm it and pay again"
