"""Measures of city services (一网通办指标): per city and agency, the share of published services
needing zero trips (零跑动) and at most one trip (最多跑一次), the same shares of completed applications
(办结) by in-person visits, average processing time, and overdue (逾期) applications — computed from
the catalogue and the applications, shown in the administrators' console. Reads both through their
services; owns no tables."""
