"""The citizen's wallet (钱包): a CNY ledger account per real-name citizen, its balance and history,
top-ups from and withdrawals to the citizen's bank card through the bank channel.

Glossary: 钱包 wallet · 余额 balance · 可用余额 available balance · 冻结/处理中 held (pending) ·
充值 top-up · 提现 withdrawal · 交易记录 history · 银行卡 bank card.
"""
