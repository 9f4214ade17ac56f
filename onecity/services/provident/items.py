"""The provident fund's service items (事项) as the catalogue holds them: withdrawals are applied for
on the provident page (entry "page") and run the `auto_check_final` workflow with this area's check
and payout (`effects`): a refusal is final — the refused withdrawal's hold is released, so the
citizen applies anew rather than resubmitting (more information asked for keeps the hold, and the
citizen resubmits as usual). The demo seeds them through the catalogue's service when absent."""

from __future__ import annotations

from typing import Any

FORM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["withdrawal_id", "reason", "amount_fen"],
    "properties": {
        "withdrawal_id": {"type": "string", "pattern": "^hpw_[0-9A-Za-z]+$", "title": "提取编号 Withdrawal"},
        "reason": {"type": "string", "enum": ["rent", "purchase", "retirement"], "title": "提取原因 Reason"},
        "amount_fen": {"type": "integer", "minimum": 1, "title": "金额（分） Amount (fen)"},
    },
    "additionalProperties": False,
}

_ITEMS = (
    ("rent", "租房提取住房公积金", "Withdraw provident fund for rent",
     "无房职工租房自住，可每月提取一次，未办理租赁备案每月最多1500元。刷脸核验后自动审批，即时到账钱包。",
     "For renting a home: once a month, up to 1,500 yuan without a registered lease. Approved automatically after a "
     "face check and paid to the wallet at once.", 1, ["租房", "提取", "公积金", "rent"]),
    ("purchase", "购房提取住房公积金", "Withdraw provident fund for a home purchase",
     "购买自住住房，可提取不超过房价款的公积金，每套房产限一次，由公积金中心审核。",
     "For buying a home: up to the price, once per property, reviewed by the fund centre.", 5,
     ["购房", "提取", "公积金", "purchase"]),
    ("retirement", "退休提取住房公积金", "Withdraw provident fund on retirement",
     "达到退休年龄，可提取账户全部余额并销户，由公积金中心审核。",
     "On reaching retirement age, withdraw the whole balance; reviewed by the fund centre.", 5,
     ["退休", "提取", "公积金", "retirement"]),
)


def item_definitions(agency_org_id: str) -> list[dict[str, Any]]:
    """The items as `catalogue.schemas.ServiceItemIn` fields."""
    return [{
        "code": f"hpf.withdraw.{reason}", "agency_org_id": agency_org_id, "name": {"zh": zh, "en": en},
        "category": "provident", "description": {"zh": dzh, "en": den}, "time_limit_days": days, "trips": 0,
        "online": True, "entry": "page", "entry_url": f"/app/services/provident/withdraw?reason={reason}",
        "form_schema": FORM_SCHEMA, "workflow": "auto_check_final",
        "on_approve": [{"effect": "provident.withdrawal", "check": "provident.withdrawal"}],
        "recommended": reason == "rent", "keywords": keywords,
    } for reason, zh, en, dzh, den, days, keywords in _ITEMS]
