"""Credentials (电子证照): agencies issue electronic certificates, citizens carry and show them, and any
counter, hotel or police officer verifies them, online or offline, in any region that trusts the issuer.

Modules: `algorithms` (Ed25519 and SM2-with-SM3 keys and signatures), `cwt` (COSE_Sign1-signed CWTs,
purpose views, the "OC1:" Base45 QR text), `presentation` (the holder-bound, rotating QR presentation
and its offline verifier), `sdjwt` (SD-JWT VC with selective disclosure and key binding),
`status_list` (IETF Token Status List), `jose` (compact JWS/JWK under those two), `types/`
(certificate types as data), `trust` (trust lists and the verifier's trust store), `service` (issuers,
their keys, building trust lists and recognising other regions' lists; issuing, suspending, revoking
and re-issuing certificates, CSV imports, publishing status lists; consents and the access history;
claiming into the wallet and the wallet itself),
`api` (the issuer routes, CSV imports, reads under consent, public status lists and trust list),
`platform_key` (the platform's trust-list signing key), `online_cache` (the online verifier's cache
of the trust store and status lists, honouring their ttl), `console` (the issuer console pages),
`consent` (the citizen's consents and access history: API and page), `verifying` (`onecity verify`,
POST /v1/verifications, /verify), `holder` (the citizen's wallet pages and the OpenID4VCI-style claim
routes; the browser side is onecity/web/static/credentials/holder.js), `commands` (`onecity keys
issuer-create|issuer-rotate|trust-list|trust-recognise`).

Glossary: 电子证照 electronic certificate (credential) · 证照类型 certificate type · 签发 issue ·
签发机构 issuer · 持证人 holder · 领取 claim · 证照夹/卡包 wallet · 亮证 show (present) ·
出示码 presentation QR · 验证/核验 verify · 验证方 verifier · 吊销 revoke · 暂停/挂起 suspend ·
补发/换发 re-issue · 互认 mutual recognition · 信任列表 trust list · 状态列表 status list ·
选择性披露 selective disclosure · 用途视图 purpose view (e.g. hotel check-in 酒店入住, traffic police
交警) · 持有者绑定 holder binding · 国密 national (SM2/SM3) algorithms · 驾驶证 driving licence ·
准驾车型 licence class · 有效期 validity · 发证机关 issuing authority · 批量签发 CSV import ·
授权 consent · 撤回授权 withdraw consent · 用途 purpose · 访问记录 access history · 在线核验 online
verification · 预授权码 pre-authorised code · 持有者密钥证明 proof of possession (of the holder key).
"""
