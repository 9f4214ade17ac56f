"""The service catalogue (政务服务事项目录): what a city offers — cities → agencies → service items
(事项) — as data the city's administrators edit in the console, and how citizens find them.

An item names its agency (an org of kind agency or biller), category, who may apply (申请条件),
required materials (申请材料: certificates read with consent, or uploads), fee, legal time limit
(承诺时限, calendar days), trips (跑动次数: 0 零跑动, 1 最多跑一次, 2 more), its application form (a JSON
Schema, pre-filled from certificates) or its own page, its workflow and what approval does. Items
are per city and versioned: applications record the version they were made against.

Search is full text in Chinese and English (jieba words; PostgreSQL GIN index), with popular and
recommended services. Other sub-packages call `catalogue.service` and import `catalogue.schemas`.

Glossary: 事项 service item · 事项编码 code · 办理机构 agency · 申请条件 eligibility · 申请材料
materials · 承诺时限 time limit · 跑动次数 trips · 即办 on the spot · 发布 publish · 停办 retire.
"""
