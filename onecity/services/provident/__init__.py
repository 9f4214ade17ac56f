"""Housing provident fund (住房公积金): each citizen's account with the city's fund centre, the monthly
contributions their employer deposits, and withdrawals for rent, a home purchase or retirement.

- `rules`: pure — the monthly deposit arithmetic and the withdrawal rules, which are data
  (`data/<city>.json`, versioned) the fund centre publishes;
- `service`: accounts, contributions (posted by the employer's signed API or the centre's console,
  once per employer and month), balances, statements, withdrawals;
- `effects`: the automatic check and the payout the applications module runs for the service items
  `hpf.withdraw.*` (workflow `auto_check_final`: a refusal is final).

Money: an account's balance is a ledger account `services:hpf:<citizen>` (no overdraft), credited
from the fund centre's pool `services:hpf:pool:<city>` by contributions and debited by payouts to the
citizen's wallet (code `services.provident`) or bound bank card. A withdrawal holds its amount at
once (a pending transfer to the city's clearing account); the hold is voided when it is decided, and
on approval the amount is paid out in the same transaction.

Glossary: 公积金账户 provident fund account · 缴存基数 monthly deposit base · 缴存比例 deposit rate
(单位 employer / 个人 employee) · 汇缴 monthly contribution posting · 正常 normal · 封存 sealed ·
提取 withdrawal · 租房 rent · 购房 home purchase · 退休 retirement · 连续缴存 continuous contributions ·
租赁备案 registered lease · 不动产权证书 property certificate · 公积金中心 fund centre.
"""
