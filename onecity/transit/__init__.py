"""Transit (公共交通): ride codes that gates verify offline, taps, trips and fares, post-paid debit and
the e-bus card.

The pure, database-free part (a gate holds no platform database):

- `ridecode/` the ride-code chain: platform transit keys with rotation (`keys`), the platform-signed
  device certificate (`certificate`), the device-signed ride code and its QR text (`code`);
- `gate` the gate/validator library (verdicts, a per-certificate cache of verified certificates), with
  `denylist`, `replay` (offline replay window) and `tapstore` (the gate's own SQLite file of taps, with
  their codes, kept while offline);
- `fares/` fare rules as pure functions over a GTFS-Fares-v2-like configuration (`data/*.json`):
  tap matching into legs, leg rules by distance band or area, transfers, daily/weekly caps.

The gate's side of the network: `uplink` sends a gate's stored taps to the upload API (signed as its
operator, batched); `commands` is the `onecity gate` simulator (`demo`, `init`, `verify`, `run`,
`taps`, `deny`, `upload`).

The platform (`models`, `service/`, `api`, `jobs`, pages in `pages` and `templates/`): platform keys
and device certificates, the deny-list pushed to gates (whole or delta), the tap upload (every code
verified again, idempotent per tap, taps from the platform's future refused), trips and fares priced
per rider-week, charges debited through the ledger (wallet or e-bus card) with arrears and the
deny-list on failure, corrections, and the operators' taps, trips and revenue per day.

Glossary: 乘车码 ride code · 闸机 gate · 验票机 validator · 进站/出站 tap in/out · 行程 trip ·
乘次/段 leg · 票价 fare · 票种 fare product · 区间/计程 zone/distance fare · 换乘优惠 transfer
discount · 封顶 fare cap (日封顶 daily, 周封顶 weekly) · 补票/更正 fare correction · 先乘后付 ride first,
pay later (post-paid) · 欠费 arrears · 黑名单 deny-list · 运营商 operator · 电子公交卡 e-bus card ·
设备证书 device certificate · 脱机 offline · 上传 upload.
"""
