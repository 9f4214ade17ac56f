"""Identity: citizens, real-name verification, face verification, sessions, family links,
organisations and their staff and API keys, and who may call what (`authz`).

Glossary: 实名认证 real-name verification · 居民身份证号码 resident ID number · 人口库 population
registry · 人脸识别/刷脸 face verification · 亲情账户 family link · 机构 organisation.
"""
