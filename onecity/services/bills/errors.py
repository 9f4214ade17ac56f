"""Utility-bill errors, each with a stable code and zh/en messages."""

from __future__ import annotations

from onecity.errors import Conflict, DomainError, Forbidden, InvalidInput, NotFound


class BillerNotFound(NotFound):
    code = "biller_not_found"
    message_zh = "找不到该缴费单位"
    message_en = "No such biller"


class BillerProfileInvalid(InvalidInput):
    code = "biller_profile_invalid"
    message_zh = "缴费单位设置有误"
    message_en = "The biller profile is not valid"


class AccountNumberInvalid(InvalidInput):
    code = "bill_account_number_invalid"
    message_zh = "户号格式不正确"
    message_en = "The account number is not valid for this biller"


class AccountNotFound(NotFound):
    code = "bill_account_not_found"
    message_zh = "找不到该缴费户号"
    message_en = "No such bill account"


class AccountUnknownAtBiller(NotFound):
    code = "bill_account_unknown"
    message_zh = "缴费单位查无此户号"
    message_en = "The biller does not know this account number"


class AccountAlreadyAdded(Conflict):
    code = "bill_account_exists"
    message_zh = "该户号已添加"
    message_en = "This account is already in your list"


class TooManyAccounts(Conflict):
    code = "bill_accounts_too_many"
    message_zh = "添加的缴费户号已达上限，请先删除不用的户号"
    message_en = "You have added as many bill accounts as allowed; remove one you no longer use first"


class AliasInvalid(InvalidInput):
    code = "bill_alias_invalid"
    message_zh = "备注名须为 1–20 个字"
    message_en = "The alias must be 1–20 characters"


class BillNotFound(NotFound):
    code = "bill_not_found"
    message_zh = "找不到该账单"
    message_en = "No such bill for this account"


class BillAlreadyPaid(Conflict):
    code = "bill_already_paid"
    message_zh = "该账单已缴清，无需重复缴费"
    message_en = "This bill has already been paid"


class AmountMismatch(Conflict):
    code = "bill_amount_mismatch"
    message_zh = "缴费金额与账单金额不符，请重新查询账单"
    message_en = "The amount differs from the bill; fetch the bill again"


class TopUpAmountInvalid(InvalidInput):
    code = "bill_topup_amount_invalid"
    message_zh = "充值金额须为 30、50、100 或 200 元"
    message_en = "The top-up amount must be one of the fixed amounts"


class NotForThisProduct(InvalidInput):
    code = "bill_product_mismatch"
    message_zh = "该缴费单位不支持此操作"
    message_en = "This biller does not offer that"


class BillerUnavailable(DomainError):
    code = "biller_unavailable"
    status = 503
    message_zh = "缴费单位系统繁忙，请稍后再试"
    message_en = "The biller cannot answer right now; try again shortly"


class AutopayLimitInvalid(InvalidInput):
    code = "bill_autopay_limit_invalid"
    message_zh = "自动缴费上限须为 1 元至 5000 元"
    message_en = "The autopay limit must be between 1 and 5,000 yuan"


class PaymentNotFound(NotFound):
    code = "bill_payment_not_found"
    message_zh = "找不到该缴费记录"
    message_en = "No such bill payment"


class PaymentStateInvalid(Conflict):
    code = "bill_payment_state_invalid"
    message_zh = "缴费记录当前状态不允许此操作"
    message_en = "The payment cannot move to that state"


class ReconFileNotFound(NotFound):
    code = "bill_recon_file_not_found"
    message_zh = "找不到该对账文件"
    message_en = "No such reconciliation file"


class NotYourBiller(Forbidden):
    code = "biller_forbidden"
    message_zh = "只能查看本单位的数据"
    message_en = "Only your own biller's data"
