"""Taxes (税务): the tax items a citizen pays through the app, the amounts the tax bureau assesses
(应缴) per citizen and period, their payment through `services.collection`, and the electronic tax
receipt (电子完税证明) signed with Ed25519 and checkable by anyone at /verify/tax-receipt/{no}.

Glossary: 税务局 tax bureau · 税种/税费 tax item · 车船税 vehicle and vessel tax · 契税 deed tax ·
灵活就业社保 social insurance of the flexibly employed · 个税年度汇算 individual income tax annual
settlement · 应缴 assessed (due) · 滞纳金 late-payment surcharge · 完税 paid · 电子完税证明 electronic tax receipt · 验真 verify.
"""
