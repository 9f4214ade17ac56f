"""RSA2 signing in Alipay's canonical form, checked against the official SDK's own signature code."""

from __future__ import annotations

import base64
import os
import stat
from pathlib import Path

import pytest
from alipay.aop.api.util.SignatureUtils import get_sign_content, sign_with_rsa2, verify_with_rsa
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from onecity.config import get_settings
from onecity.crypto import rsa2
from onecity.crypto.signing import BadKey


def _pkcs1_private_b64(k: rsa.RSAPrivateKey) -> str:
    """Alipay's "应用私钥" form that the Python SDK loads: PKCS#1 DER, base64, no markers."""
    der = k.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.TraditionalOpenSSL,
                          serialization.NoEncryption())
    return base64.b64encode(der).decode()


def test_canonical_form_worked_example() -> None:
    # sign and sign_type dropped (notification form), empty c dropped, a < b < biz_content by bytes.
    params = {"b": "2", "a": "1", "sign": "xx", "sign_type": "RSA2", "c": "",
              "biz_content": '{"x":"中文"}'}
    assert rsa2.sign_content(params) == 'a=1&b=2&biz_content={"x":"中文"}'
    # requests keep sign_type, as the SDKs sign it
    assert rsa2.sign_content(params, exclude=rsa2.REQUEST_EXCLUDED) == \
        'a=1&b=2&biz_content={"x":"中文"}&sign_type=RSA2'
    # byte order: upper case sorts before lower case, "_" between them
    assert rsa2.sign_content({"a_b": "1", "aB": "2", "ab": "3"}) == "aB=2&a_b=1&ab=3"


def test_sign_and_verify_round_trip_and_tamper() -> None:
    params = {"out_trade_no": "T1", "total_amount": "12.34", "trade_status": "TRADE_SUCCESS"}
    signed = dict(params, sign=rsa2.sign_params(params), sign_type="RSA2")
    pem = rsa2.platform_public_pem()
    assert rsa2.verify_params(signed, pem)
    assert rsa2.verify_params(signed, rsa2.platform_public_key_base64())  # Alipay's bare form
    assert not rsa2.verify_params(dict(signed, total_amount="12.35"), pem)
    assert not rsa2.verify_params(dict(signed, sign="not base64!"), pem)
    assert not rsa2.verify_params({k: v for k, v in signed.items() if k != "sign"}, pem)
    with pytest.raises(BadKey):
        rsa2.verify_params(signed, "not a key")


def test_notification_verifies_with_the_sdk_signature_utility() -> None:
    """What a merchant does with an async notification: drop sign/sign_type, sort, verify_with_rsa."""
    params = {"notify_id": "n1", "subject": "咖啡", "total_amount": "0.01", "app_id": "2026000000000001"}
    sign = rsa2.sign_params(params)
    content = get_sign_content(params)  # the SDK's own canonical form (no sign/sign_type in it)
    assert content == rsa2.sign_content(params)
    assert verify_with_rsa(rsa2.platform_public_key_base64(), content.encode("utf-8"), sign)
    assert verify_with_rsa(rsa2.platform_public_pem(), content.encode("utf-8"), sign)


def test_request_signed_by_the_sdk_verifies_here() -> None:
    app_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    params = {"app_id": "2026000000000001", "method": "alipay.trade.query", "charset": "utf-8",
              "format": "json", "sign_type": "RSA2", "timestamp": "2026-11-26 12:00:00", "version": "1.0",
              "biz_content": '{"out_trade_no":"T1"}'}
    sign = sign_with_rsa2(_pkcs1_private_b64(app_key), get_sign_content(params), "utf-8")
    pub = rsa2.public_pem(app_key.public_key())
    assert rsa2.verify_params(dict(params, sign=sign), pub, exclude=rsa2.REQUEST_EXCLUDED)
    # the notification form (sign_type dropped) is not what the SDK signed
    assert not rsa2.verify_params(dict(params, sign=sign), pub)


def test_key_file_created_once_with_mode_0600(tmp_path: Path) -> None:
    path = rsa2.init_platform_key(tmp_path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    first = path.read_bytes()
    assert rsa2.init_platform_key(tmp_path) == path and path.read_bytes() == first
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
    # the configured key dir holds the key the process signs with
    rsa2.platform_private_key()
    configured = get_settings().key_dir / rsa2.KEY_FILE
    assert configured.exists() and stat.S_IMODE(configured.stat().st_mode) == 0o600
    on_disk = rsa2._load_private(configured.read_text())
    assert rsa2.public_pem(on_disk.public_key()) == rsa2.platform_public_pem()


def test_key_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    k = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    try:
        for text in (_pkcs1_private_b64(k),
                     k.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                     serialization.NoEncryption()).decode()):
            monkeypatch.setenv("ONECITY_GATEWAY_RSA_PRIVATE_KEY", text)
            get_settings.cache_clear()
            rsa2.platform_private_key.cache_clear()
            assert rsa2.platform_public_pem() == rsa2.public_pem(k.public_key())
    finally:
        monkeypatch.delenv("ONECITY_GATEWAY_RSA_PRIVATE_KEY")
        get_settings.cache_clear()
        rsa2.platform_private_key.cache_clear()
    assert rsa2.platform_public_pem() != rsa2.public_pem(k.public_key())


def test_public_key_forms() -> None:
    k = rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key()
    pem = rsa2.public_pem(k)
    pkcs1_der = k.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.PKCS1)
    pkcs1_pem = k.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.PKCS1).decode()
    for form in (pem, rsa2.bare_base64(pem), base64.b64encode(pkcs1_der).decode(), pkcs1_pem,
                 "  " + rsa2.bare_base64(pem)[:40] + "\n" + rsa2.bare_base64(pem)[40:] + "\n"):
        assert rsa2.normalize_public_key(form) == pem
    small = rsa.generate_private_key(public_exponent=65537, key_size=1024).public_key()  # noqa: S505 - must be refused
    for bad in ("", "hello", base64.b64encode(os.urandom(64)).decode(), rsa2.public_pem(small)):
        with pytest.raises(BadKey):
            rsa2.normalize_public_key(bad)
