"""Payments: what citizens and merchants do with money, on top of the ledger.

Sub-packages: `wallet` (the citizen's balance, top-up and withdrawal), `bank` (the bank-channel
interface and its simulator), `codes` (the citizen's payment code and the merchant's EMVCo QR),
`trade` (merchant orders, refunds, notifications, settlement and reconciliation files).

Glossary: 钱包 wallet · 充值 top-up · 提现 withdrawal · 付款码 payment code · 收款码 merchant QR ·
扫码付 scan to pay · 小额免密 small-amount payment without confirmation · 交易 trade/order ·
退款 refund · 异步通知 asynchronous notification · 结算 settlement · 对账单 reconciliation file ·
手续费 fee · 商户 merchant.
"""
