"""Gateway apps: registration (the `onecity gateway` command and the service), listing per merchant,
disabling, replacing the key; who may do it; the audit trail."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from typer.testing import CliRunner

from onecity.audit import service as audit
from onecity.cli import app as cli_app
from onecity.crypto import rsa2
from onecity.gateway import service as gateway
from tests.gateway.factories import app_key, make_gateway_app, public_pem
from tests.identity.orgs.factories import make_org
from tests.payments.trade.factories import make_merchant

runner = CliRunner()


def test_register_gives_a_16_digit_app_id_and_the_platform_key(session):
    merchant = make_merchant(session)
    app, _ = make_gateway_app(session, merchant, notify_url="https://shop.example.com/n")
    assert re.fullmatch(r"20[0-9]{14}", app.app_id)
    assert app.status == "active" and app.merchant_id == merchant.public_id
    assert app.platform_public_key_pem == rsa2.platform_public_pem()
    assert app.public_key_pem.startswith("-----BEGIN PUBLIC KEY-----")
    assert len(app.key_fingerprint) == 64 and app.notify_url == "https://shop.example.com/n"
    ids = {make_gateway_app(session, merchant)[0].app_id for _ in range(20)} | {app.app_id}
    assert len(ids) == 21
    assert [a.app_id for a in gateway.list_apps(session, merchant_id=merchant.public_id)][-1] == app.app_id
    entries = audit.entries_for_org(session, org_id=merchant.public_id, limit=50).entries
    assert sum(e.action == "gateway_app.register" for e in entries) == 21


def test_an_app_id_collision_draws_again(session, monkeypatch):
    merchant = make_merchant(session)
    first, _ = make_gateway_app(session, merchant)
    drawn = iter([first.app_id, first.app_id, "2026123456789012"])
    monkeypatch.setattr("onecity.gateway.service.apps.new_app_id", lambda: next(drawn))
    second, _ = make_gateway_app(session, merchant)
    assert second.app_id == "2026123456789012"
    session.commit()
    assert len(gateway.list_apps(session, merchant_id=merchant.public_id)) == 2


def test_keys_in_alipays_bare_form_and_pkcs1_are_accepted(session):
    merchant = make_merchant(session)
    k = app_key(fresh=True)
    bare = rsa2.bare_base64(public_pem(k))
    app = gateway.register_app(session, merchant_id=merchant.public_id, name="A", rsa_public_pem=bare,
                               notify_url=None)
    assert app.public_key_pem == public_pem(k) and app.public_key_base64 == bare
    pkcs1 = k.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.PKCS1).decode()
    assert gateway.register_app(session, merchant_id=merchant.public_id, name="B", rsa_public_pem=pkcs1,
                                notify_url=None).key_fingerprint == app.key_fingerprint


@pytest.mark.parametrize(("kwargs", "error"), [
    ({"rsa_public_pem": "not a key"}, gateway.GatewayKeyInvalid),
    ({"rsa_public_pem": ""}, gateway.GatewayKeyInvalid),
    ({"rsa_public_pem": "A" * 20_000}, gateway.GatewayKeyInvalid),
    ({"name": "  "}, gateway.GatewayAppNameInvalid),
    ({"name": "x" * 101}, gateway.GatewayAppNameInvalid),
    ({"notify_url": "ftp://shop.example.com/n"}, gateway.GatewayNotifyUrlInvalid),
    ({"notify_url": "javascript:alert(1)"}, gateway.GatewayNotifyUrlInvalid),
])
def test_invalid_registrations(session, kwargs: dict[str, Any], error: type[Exception]):
    merchant = make_merchant(session)
    args = {"name": "收银台", "rsa_public_pem": public_pem(app_key()), "notify_url": None, **kwargs}
    with pytest.raises(error):
        gateway.register_app(session, merchant_id=merchant.public_id, **args)
    assert gateway.list_apps(session, merchant_id=merchant.public_id) == []


def test_only_active_merchants_register(session):
    from cryptography.hazmat.primitives.asymmetric import ed25519

    ed = ed25519.Ed25519PrivateKey.generate().public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    for org in (make_org(session, kind="hospital"), make_org(session, kind="merchant", status="suspended")):
        with pytest.raises(gateway.GatewayNotAMerchant):
            gateway.register_app(session, merchant_id=org.public_id, name="x", rsa_public_pem=public_pem(app_key()),
                                 notify_url=None)
    with pytest.raises(gateway.GatewayNotAMerchant):
        gateway.register_app(session, merchant_id="org_nope", name="x", rsa_public_pem=public_pem(app_key()),
                             notify_url=None)
    with pytest.raises(gateway.GatewayKeyInvalid):  # RSA2 means RSA: Ed25519 keys are refused
        gateway.register_app(session, merchant_id=make_merchant(session).public_id, name="x", rsa_public_pem=ed,
                             notify_url=None)


def test_status_and_key_changes_are_scoped_to_the_merchant_and_audited(session):
    merchant, other = make_merchant(session), make_merchant(session)
    app, _ = make_gateway_app(session, merchant)
    with pytest.raises(gateway.GatewayAppNotFound):
        gateway.set_app_status(session, merchant_id=other.public_id, app_id=app.app_id, status="disabled", actor="t")
    with pytest.raises(gateway.GatewayAppNotFound):
        gateway.replace_app_key(session, merchant_id=other.public_id, app_id=app.app_id,
                                rsa_public_pem=public_pem(app_key(fresh=True)), actor="t")
    with pytest.raises(gateway.GatewayAppStatusInvalid):
        gateway.set_app_status(session, merchant_id=merchant.public_id, app_id=app.app_id, status="gone", actor="t")
    for _ in range(2):  # idempotent: one audit entry
        out = gateway.set_app_status(session, merchant_id=merchant.public_id, app_id=app.app_id, status="disabled",
                                     actor="t")
    assert out.status == "disabled" and out.status_changed_at is not None
    new_key = public_pem(app_key(fresh=True))
    out = gateway.replace_app_key(session, merchant_id=merchant.public_id, app_id=app.app_id, rsa_public_pem=new_key,
                                  actor="t")
    assert out.public_key_pem == new_key and out.key_fingerprint != app.key_fingerprint
    actions = [e.action for e in audit.entries_for_org(session, org_id=merchant.public_id, limit=50).entries]
    assert actions.count("gateway_app.disable") == 1 and actions.count("gateway_app.replace_key") == 1
    assert gateway.get_app(session, merchant_id=merchant.public_id, app_id=app.app_id).status == "disabled"


def test_the_onecity_gateway_command(session, tmp_path: Path):
    merchant = make_merchant(session)
    session.commit()
    merchant_id = merchant.public_id
    pem = tmp_path / "app_public.pem"
    pem.write_text(public_pem(app_key()))
    r = runner.invoke(cli_app, ["gateway", "register-app", "--merchant", merchant_id, "--name", "门店收银",
                                "--public-key", str(pem), "--notify-url", "https://shop.example.com/n"])
    assert r.exit_code == 0, r.output
    app_id = re.search(r"app_id\s+([0-9]{16})", r.output).group(1)  # type: ignore[union-attr]
    assert rsa2.platform_public_key_base64() in r.output
    r = runner.invoke(cli_app, ["gateway", "list-apps", "--merchant", merchant_id])
    assert app_id in r.output and "active" in r.output
    r = runner.invoke(cli_app, ["gateway", "disable-app", app_id, "--merchant", merchant_id])
    assert r.exit_code == 0 and "disabled" in r.output
    r = runner.invoke(cli_app, ["gateway", "enable-app", app_id, "--merchant", merchant_id])
    assert r.exit_code == 0 and "active" in r.output
    pem.write_text(rsa2.bare_base64(public_pem(app_key(fresh=True))))
    r = runner.invoke(cli_app, ["gateway", "replace-key", app_id, "--merchant", merchant_id, "--public-key", str(pem)])
    assert r.exit_code == 0, r.output
    out = tmp_path / "platform.pem"
    r = runner.invoke(cli_app, ["gateway", "platform-key", "--out", str(out)])
    assert r.exit_code == 0 and out.read_text() == rsa2.platform_public_pem()
    r = runner.invoke(cli_app, ["gateway", "platform-key", "--base64"])
    assert r.output.strip() == rsa2.platform_public_key_base64()
    # errors: a message and exit status 1, nothing registered
    pem.write_text("nonsense")
    r = runner.invoke(cli_app, ["gateway", "register-app", "--merchant", merchant_id, "--name", "x",
                                "--public-key", str(pem)])
    assert r.exit_code == 1 and "gateway_key_invalid" in r.output
    r = runner.invoke(cli_app, ["gateway", "disable-app", "2026000000000000", "--merchant", merchant_id])
    assert r.exit_code == 1 and "gateway_app_not_found" in r.output
    assert len(gateway.list_apps(session, merchant_id=merchant_id)) == 1
