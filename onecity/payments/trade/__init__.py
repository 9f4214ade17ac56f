"""Trade: merchants' orders, refunds, asynchronous notifications, T+1 settlement and reconciliation
files, and the merchant console.

Every order belongs to a merchant organisation (kind `merchant`) and is keyed by the merchant's own
order number (`out_trade_no`); the platform's public id is `trade_no`. Money moves only as ledger
transfers whose ids derive from the trade (`<trade_no>:pay`, `<refund_id>:refund`, `<settlement_id>:fee`),
so a retried request never moves money twice.

Glossary: 交易 trade/order · 商户订单号 out_trade_no · 交易号 trade_no · 预下单 precreate (returns a QR) ·
条码支付 pay by payment code · 退款 refund · 退款请求号 out_request_no · 异步通知 asynchronous
notification · 结算 settlement · T+1 settled the next day · 手续费/费率 fee / fee rate (basis points) ·
对账单 reconciliation file · 收款码 merchant QR · 小额免密 small-amount payment without confirmation.
"""
