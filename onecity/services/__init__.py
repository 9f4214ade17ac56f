"""City services (一网通办, "one network for all government services"): what a city offers its
citizens online and how the citizen gets it done on the phone — "let the data run instead of the
people" (让信息多跑路、群众少跑腿).

Laid out by meaning, one sub-package each, each owning its own tables (measures and hub have none):
- `catalogue`: cities → agencies → service items (事项) as data the city edits, and their search;
- `workflow`: workflows (办理流程) as data and the pure state machine that runs them;
- `applications`: applications (申请/办件) with JSON-Schema forms pre-filled from certificates under
  consent, attachments, queues and review in the agency console, notices to the citizen;
- `provident`: the housing provident fund (住房公积金) — accounts, contributions, withdrawals;
- `traffic`: vehicles, violations (违法), fines (罚款) by decision number (决定书编号), licence points (记分);
- `taxes`: tax items (税费) and payment with an electronic receipt (电子完税凭证);
- `bills`: utility bills (生活缴费) from billers — fetch → pay → confirm, autopay, reconciliation;
- `measures`: the zero-trip / at-most-one-trip shares, processing time and overdue, per city and agency;
- `hub`: the consoles an agency's or biller's staff have, on one page;
- `collection`: money a citizen pays to an agency or biller, through the ledger.

Glossary: 事项 service item · 办件 application · 承诺时限 legal time limit · 跑动次数 trips ·
零跑动 / 一次都不用跑 zero trips · 最多跑一次 at most one trip · 受理 accept · 审核 review ·
补正 request more information · 办结 complete · 逾期 overdue.
"""
