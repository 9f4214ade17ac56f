"""The bank channel (银行通道): bank cards citizens bind, the instructions OneCity sends to banks
(collect = debit a card for a top-up, payout = credit a card or account), the bank's asynchronous
results, and the daily reconciliation of each bank's statement against our records.

`service.channel` defines what a bank does (`BankChannel`); `service.simulator` is the bundled
simulated bank, which keeps its own state in its own tables (`bank_sim_*`) and behaves like a real
one: it confirms or fails later, sometimes times out, sometimes calls back twice.

Glossary: 银行卡 bank card · 借记卡 debit card · 卡号 card number · 持卡人 card holder ·
发卡行 issuing bank · 卡BIN card BIN (issuer prefix) · 代扣/扣款 collect · 代付/付款 payout ·
银行流水号 bank reference · 回调 callback · 状态查询 status query · 对账单 statement ·
对账 reconciliation · 差错 mismatch · 清算户 clearing account.
"""
