"""The ledger: double-entry accounts and transfers, the single source of money truth.

Every fen that moves is a transfer from a debit account to a credit account, in the same database
transaction as the business record that caused it. Balances (posted and pending, debit and credit)
live on the account row and change with each transfer, so reading a balance is one row; the transfer
table is the append-only history. Other modules call only `onecity.ledger.service` and import
`onecity.ledger.schemas`.

Glossary: 账户 account · 分录/转账 transfer · 借方 debit · 贷方 credit · 入账 posted ·
预授权/冻结 pending (two-phase) · 确认入账 post · 撤销 void · 过期 expired · 余额 balance ·
可用余额 available balance · 透支 overdraft · 热点账户 hot account · 对账 check (reconciliation).
"""
