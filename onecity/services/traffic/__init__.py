"""Traffic police (交警): vehicles and their plates, driving licences and their points, traffic
violations with their decision numbers, and the fines citizens pay by scanning the decision's QR.

Laid out by meaning: `rules` (pure: plate format, decision-number check digit, late penalty, the
points cycle), `qr` (the signed decision payload), `service` (the module's API), `api`/`pages`.

Glossary: 交警 traffic police · 机动车 motor vehicle · 号牌/车牌 plate · 新能源号牌 new-energy plate ·
驾驶证 driving licence · 准驾车型 licence class · 记分周期 scoring cycle · 记分 points · 满分 full
score (12 points: the licence is suspended) · 违法记录 violation · 违法代码 violation code ·
处罚决定书 penalty decision · 决定书编号 decision number · 罚款 fine · 加处罚款 late penalty ·
电子抓拍 camera capture · 电子驾驶证 electronic driving licence.
"""
