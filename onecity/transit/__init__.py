"""Transit (公共交通): ride codes that gates verify offline, taps, trips and fares.

This package so far holds the pure, database-free part:

- `ridecode/` the ride-code chain: platform transit keys with rotation (`keys`), the platform-signed
  device certificate (`certificate`), the device-signed ride code and its QR text (`code`);
- `gate` the gate/validator library (verdicts), with `denylist`, `replay` (offline replay window)
  and `tapstore` (the gate's own SQLite file of taps kept while offline);
- `fares/` fare rules as pure functions over a GTFS-Fares-v2-like configuration (`data/*.json`):
  tap matching into legs, leg rules by distance band or area, transfers, daily/weekly caps;
- `commands` the `onecity gate` simulator.

Persistence, the tap upload API, post-paid debit through the ledger, the e-bus card and the pages
come next (issue 7).

Glossary: 乘车码 ride code · 闸机 gate · 验票机 validator · 进站/出站 tap in/out · 行程 trip ·
乘次/段 leg · 票价 fare · 票种 fare product · 区间/计程 zone/distance fare · 换乘优惠 transfer
discount · 封顶 fare cap (日封顶 daily, 周封顶 weekly) · 补票/更正 fare correction · 先乘后付 post-paid ·
欠费 arrears · 黑名单 deny-list · 运营商 operator · 公交卡 e-bus card.
"""
