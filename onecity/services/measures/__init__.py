"""Measures of city services (一网通办指标): per city and agency, the share of published services
needing zero trips (零跑动) and at most one trip (最多跑一次), the same shares of completed applications
(办结) by in-person visits, average processing time, and overdue (逾期) applications — computed from
the catalogue and the applications, shown in the administrators' console. Reads both through their
services; owns no tables.

Shares are two ints and a permille rounded down (part * 1000 // total); times are whole seconds,
rounded down. Glossary: 一网通办 one-stop online services · 零跑动 zero trips · 最多跑一次 at most one
trip · 办结 completed (approved or rejected) · 办理时长 processing time · 逾期 overdue · 超期办结 completed late.
"""
