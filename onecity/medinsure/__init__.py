"""Medical insurance (医保): the insurance code, one-scan split settlement, family aid, commercial cover and pay-later.

Parts: `rules` (the pure rules engine: policies, splits, payers, refunds), the core (`models`, `service`,
`api`: stored policies, designated institutions, insured people and their accumulators, the insurance
code, visits, settlements with receipts, refunds, pharmacy orders, the fund's daily totals),
`commercial` (insurers' products, policies and claims) and `paylater` (treat first, pay later).

Glossary: 医保 medical insurance · 参保人 insured person · 职工医保 employee scheme · 居民医保 resident
scheme · 退休人员 retiree · 统筹基金 pooled fund · 个人账户 personal account · 家庭共济 family aid (a
relative's personal account pays) · 医保码 insurance code · 定点医药机构 designated institution (医院
hospital, 定点零售药店 designated pharmacy) · 医院等级 institution level · 就诊 visit · 门诊 outpatient ·
门诊慢特病 chronic-disease outpatient · 住院 inpatient · 费用明细 fee lines · 预结算 pre-settlement ·
结算 settlement · 退费 refund · 电子票据 electronic receipt · 起付线 deductible · 报销比例 fund ratio ·
封顶线 annual cap · 甲/乙/丙类 category A/B/C · 先行自付 self-pay first (乙类) · 支付标准 payment
standard · 自付 self-pay within the policy · 自费 self-pay outside the policy · 小额免密 small-amount
limit · 商业保险 commercial insurance · 先诊疗后付费 treat first, pay later.
"""
