"""The open API in Alipay Open Platform conventions (开放平台): a signed `/gateway.do` whose
`alipay.trade.*` methods are an adapter over `onecity.payments.trade.service` — never a second
implementation of orders — and the merchants' gateway apps that call it.

A merchant registers an app (console or `onecity gateway register-app`) with its RSA public key and
receives a 16-digit app id and the platform's public key. Every request is signed by the app (RSA2),
every response and notification by the platform (`onecity.crypto.rsa2`). The signature is the
authentication: gateway requests carry no session. Idempotency comes from the trade service's keys
(`out_trade_no`, `out_request_no`), as in Alipay; there is no Idempotency-Key header.

Glossary: 开放平台 open platform · 网关 gateway · 应用 app · 应用ID (APPID) app id · 应用公钥 the app's
public key · 支付宝公钥/平台公钥 the platform's public key · 加签/验签 sign / verify · 公共参数 common
parameters · 业务参数 (biz_content) business parameters · 网关返回码 code · 业务返回码 sub_code ·
当面付 in-person payment · 条码支付 pay by payment code (scene bar_code) · 付款码 (auth_code) the
citizen's 18-digit payment code · 预下单 precreate · 统一收单 unified acquiring · 异步通知 notification.
"""
