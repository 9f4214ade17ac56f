"""Utility bills (生活缴费): billers (water, electricity, gas, phone top-up) are organisations of kind
`biller`; a citizen adds an account number (户号) at a biller, fetches the bill from the biller,
pays it from the wallet, and may let the platform pay on the due date within a limit (自动缴费).
Each biller receives a signed daily reconciliation file (对账文件).

The biller is outside the platform and is reached through a `BillerConnector` (fetch → pay →
status, as in bill-payment networks such as BBPS): the bundled simulator behaves like a real biller
(delays, transient failures, timeouts, duplicate acknowledgements, bills paid at the counter); the
HTTP connector talks to a biller's own endpoints with requests signed by the platform key.

Money: paying records the payment and collects wallet → the biller's payee account
(`onecity.services.collection`, code `bill`) in one transaction; the payment advice goes to the biller
after commit (the `services.bills.dispatch` job), with retries; the biller's confirmation moves the
payment to `confirmed`; a definitive rejection refunds the citizen (code `services.bills.refund`).
Amounts are int fen everywhere (no rounding: bills and top-ups are whole fen as the biller states them).

Glossary: 生活缴费 utility bills · 缴费单位/出账机构 biller · 户号 account number · 账单 bill ·
账期 billing period · 应缴金额 amount due · 缴费截止日 due date · 话费充值 phone top-up ·
自动缴费 autopay · 缴费上限 autopay limit · 缴费通知 payment advice · 回执/确认 acknowledgement ·
销账 confirmation · 柜台已缴 paid at the counter · 对账文件 reconciliation file · 代缴 pay for a relative.
"""
