"""Applications (办件) for city services: JSON-Schema forms pre-filled from the citizen's
certificates under consent, attachments stored safely, the workflow each service names run by the
pure engine in `services.workflow`, the agency console's queues, and notices to the citizen.

Glossary: 办件 application · 受理 claim · 审核 review · 补正 request more information ·
驳回 reject · 办结 complete · 承诺时限 time limit · 逾期 overdue · 跑动次数 trips ·
现场 in person · 申请材料 materials · 附件 attachment · 预填 pre-fill · 授权 consent · 通知 notice.
"""
