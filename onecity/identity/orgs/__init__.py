"""Organisations (机构): merchants, hospitals, pharmacies, agencies, billers, transit operators,
insurers and the city itself; their staff (console accounts with roles) and their API keys (signed
requests, see `signatures`).

Glossary: 机构 organisation · 商户 merchant · 医院 hospital · 药店 pharmacy · 政府部门 agency ·
缴费单位 biller · 公交/地铁运营方 transit operator · 保险公司 insurer · 市政府 the city (its staff are the
platform's administrators) · 统一社会信用代码 unified social credit code (USCC, GB 32100) ·
员工 staff · 角色 role · 应用 ID app id · 公钥 public key · 验签 signature verification ·
防重放 replay protection · 随机串 nonce.
"""
