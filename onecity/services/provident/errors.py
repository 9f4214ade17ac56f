"""Provident fund errors, each with a stable code and zh/en messages. Withdrawal refusals carry the
rules' codes (see `rules.evaluate`) and the most the citizen could have asked for (`max_fen`)."""

from __future__ import annotations

from typing import ClassVar

from onecity.errors import Conflict, Forbidden, InvalidInput, NotFound


class AccountNotFound(NotFound):
    code = "hpf_account_not_found"
    message_zh = "找不到公积金账户"
    message_en = "No such provident fund account"


class AccountExists(Conflict):
    code = "hpf_account_exists"
    message_zh = "该市民在本市已有公积金账户"
    message_en = "The citizen already has a provident fund account in this city"


class AccountInvalid(InvalidInput):
    code = "hpf_account_invalid"
    message_zh = "公积金账户信息有误（缴存基数或比例超出规定范围）"
    message_en = "The account's details are not valid (deposit base or rate outside the allowed range)"


class IllegalStatusChange(Conflict):
    code = "hpf_illegal_status_change"
    message_zh = "账户当前状态不允许此操作"
    message_en = "The account's status does not allow this change"


class PostingInvalid(InvalidInput):
    code = "hpf_posting_invalid"
    message_zh = "汇缴数据有误"
    message_en = "The contribution posting is not valid"


class PostingConflict(Conflict):
    code = "hpf_posting_conflict"
    message_zh = "该单位本月已汇缴，且内容不同"
    message_en = "This employer already posted this month's contributions, with different lines"


class NotTheEmployer(Forbidden):
    code = "hpf_not_the_employer"
    message_zh = "只能为本单位职工汇缴"
    message_en = "An employer can post contributions only for its own employees"


class NotTheCentre(NotFound):
    """404, not 403: to the staff of another organisation the centre's accounts do not exist (as a
    hospital that is not designated is, to a citizen, no hospital)."""

    code = "hpf_not_the_centre"
    message_zh = "仅公积金中心工作人员可以操作"
    message_en = "Only the provident fund centre's staff may do this"


class WithdrawalNotFound(NotFound):
    code = "hpf_withdrawal_not_found"
    message_zh = "找不到该笔提取"
    message_en = "No such withdrawal"


class WithdrawalInvalid(InvalidInput):
    code = "hpf_withdrawal_invalid"
    message_zh = "提取申请有误"
    message_en = "The withdrawal request is not valid"


class WithdrawalNotHeld(Conflict):
    code = "hpf_withdrawal_not_held"
    message_zh = "该笔提取已办结"
    message_en = "This withdrawal has already been decided"


class WithdrawalRefused(Conflict):
    """A withdrawal the rules refuse; `code` is the rule's (subclasses below), `max_fen` the most
    the citizen could have asked for."""

    code: ClassVar[str] = "hpf_withdrawal_refused"
    message_zh = "不符合提取条件"
    message_en = "The withdrawal does not meet the rules"


def _refusal(code_: str, zh: str, en: str) -> type[WithdrawalRefused]:
    return type(f"Refused_{code_}", (WithdrawalRefused,), {"code": code_, "message_zh": zh, "message_en": en})


REFUSALS: dict[str, type[WithdrawalRefused]] = {c: _refusal(c, zh, en) for c, zh, en in (
    ("hpf_amount_invalid", "提取金额须为正数", "The amount must be positive"),
    ("hpf_account_status", "账户状态不符合该类提取条件", "The account's status does not allow this withdrawal"),
    ("hpf_not_continuous", "连续缴存时间不足", "Not enough months of continuous contributions"),
    ("hpf_not_retired", "未达到退休年龄", "Not yet of retirement age"),
    ("hpf_too_frequent", "本期已提取过，请下期再申请", "Already withdrawn this period; apply again next period"),
    ("hpf_over_limit", "超过本期提取额度", "The amount is over this period's limit"),
    ("hpf_property_required", "需提供不动产权证书号和购房价款", "A property certificate number and the price are required"),
    ("hpf_property_used", "该房产已办理过提取", "A withdrawal was already made for this property"),
    ("hpf_over_price", "超过购房价款减去已提取金额", "The amount is over the price less what was withdrawn for it"),
    ("hpf_over_balance", "超过账户可提取余额", "The amount is over the balance that may be withdrawn"),
    ("hpf_whole_balance", "退休提取须提取全部余额", "A retirement withdrawal takes the whole balance"),
)}


def refused(code: str, *, max_fen: int) -> WithdrawalRefused:
    return REFUSALS[code](f"{code} (at most {max_fen} fen)", max_fen=max_fen)


class DraftNotFound(NotFound):
    code = "hpf_draft_not_found"
    message_zh = "提取申请已过期或不存在，请重新填写"
    message_en = "The withdrawal request has expired or does not exist; please fill it in again"
