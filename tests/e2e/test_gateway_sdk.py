"""The official `alipay-sdk-python` against the live local /gateway.do: every alipay.trade.* method works,
the SDK verifies every response's signature with the platform key (it raises when one does not
verify), and the asynchronous notifications delivered to a local receiver verify with the SDK's own
signature utility.

Two facts about the SDK shape the set-up, both faithful to how merchants in China run it:
- its transport connects to port 80 (or 443) whatever the URL says, so the server listens on port 80
  of a loopback address of its own (127.x.y.z); where port 80 cannot be bound (not root) the SDK's
  `get_http_connection` is replaced by one that honours the port — only the socket changes;
- it stamps `timestamp` with the machine's local time, which Alipay requires to be Beijing time, so
  the test runs the SDK with TZ=Asia/Shanghai.
"""

from __future__ import annotations

import http.server
import os
import random
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl, urlparse

import pytest

from onecity import outbox
from onecity.crypto import rsa2
from onecity.payments.trade import service as trade
from tests.gateway.factories import app_key, make_gateway_app, sdk_private_key
from tests.payments.trade.factories import balance, make_buyer, make_merchant, payment_code

sdk = pytest.importorskip("alipay.aop.api.DefaultAlipayClient")
from alipay.aop.api.AlipayClientConfig import AlipayClientConfig  # noqa: E402
from alipay.aop.api.DefaultAlipayClient import DefaultAlipayClient  # noqa: E402
from alipay.aop.api.domain.AlipayTradeCloseModel import AlipayTradeCloseModel  # noqa: E402
from alipay.aop.api.domain.AlipayTradeCreateModel import AlipayTradeCreateModel  # noqa: E402
from alipay.aop.api.domain.AlipayTradePayModel import AlipayTradePayModel  # noqa: E402
from alipay.aop.api.domain.AlipayTradePrecreateModel import AlipayTradePrecreateModel  # noqa: E402
from alipay.aop.api.domain.AlipayTradeQueryModel import AlipayTradeQueryModel  # noqa: E402
from alipay.aop.api.domain.AlipayTradeRefundModel import AlipayTradeRefundModel  # noqa: E402
from alipay.aop.api.exception.Exception import ResponseException  # noqa: E402
from alipay.aop.api.request.AlipayTradeCloseRequest import AlipayTradeCloseRequest  # noqa: E402
from alipay.aop.api.request.AlipayTradeCreateRequest import AlipayTradeCreateRequest  # noqa: E402
from alipay.aop.api.request.AlipayTradePayRequest import AlipayTradePayRequest  # noqa: E402
from alipay.aop.api.request.AlipayTradePrecreateRequest import AlipayTradePrecreateRequest  # noqa: E402
from alipay.aop.api.request.AlipayTradeQueryRequest import AlipayTradeQueryRequest  # noqa: E402
from alipay.aop.api.request.AlipayTradeRefundRequest import AlipayTradeRefundRequest  # noqa: E402
from alipay.aop.api.response.AlipayTradeCloseResponse import AlipayTradeCloseResponse  # noqa: E402
from alipay.aop.api.response.AlipayTradeCreateResponse import AlipayTradeCreateResponse  # noqa: E402
from alipay.aop.api.response.AlipayTradePayResponse import AlipayTradePayResponse  # noqa: E402
from alipay.aop.api.response.AlipayTradePrecreateResponse import AlipayTradePrecreateResponse  # noqa: E402
from alipay.aop.api.response.AlipayTradeQueryResponse import AlipayTradeQueryResponse  # noqa: E402
from alipay.aop.api.response.AlipayTradeRefundResponse import AlipayTradeRefundResponse  # noqa: E402
from alipay.aop.api.util import WebUtils  # noqa: E402
from alipay.aop.api.util.SignatureUtils import get_sign_content, verify_with_rsa  # noqa: E402

pytestmark = pytest.mark.e2e


def _bind_port_80() -> socket.socket | None:
    for _ in range(20):
        addr = f"127.{random.randint(64, 250)}.{random.randint(1, 250)}.{random.randint(2, 250)}"  # noqa: S311
        s = socket.socket()
        try:
            s.bind((addr, 80))
        except PermissionError:
            s.close()
            return None
        except OSError:  # taken: another address
            s.close()
            continue
        return s
    return None


def _port_honouring_connection(url: str, query_string: str, timeout: int) -> tuple[str, Any]:
    import http.client

    u = urlparse(url)
    return (f"{u.scheme}://{u.hostname}:{u.port}{u.path}?{query_string}",
            http.client.HTTPConnection(host=u.hostname, port=u.port or 80, timeout=timeout))


@pytest.fixture(scope="module")
def gateway_url(app: Any) -> Iterator[str]:
    """The app served by uvicorn on port 80 of a loopback address of its own."""
    import uvicorn

    sock = _bind_port_80()
    patched = sock is None
    if patched:
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
    assert sock is not None
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    host, port = sock.getsockname()[:2]
    server = uvicorn.Server(uvicorn.Config(app, log_config=None, lifespan="off", http="httptools"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    saved = WebUtils.get_http_connection
    if patched:
        WebUtils.get_http_connection = _port_honouring_connection
    try:
        yield f"http://{host}" if port == 80 else f"http://{host}:{port}"
    finally:
        WebUtils.get_http_connection = saved
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


@pytest.fixture
def beijing_time() -> Iterator[None]:
    saved = os.environ.get("TZ")
    os.environ["TZ"] = "Asia/Shanghai"
    time.tzset()
    yield
    if saved is None:
        os.environ.pop("TZ", None)
    else:
        os.environ["TZ"] = saved
    time.tzset()


class Receiver:
    """A merchant's notify URL: records each POSTed form and answers `success`."""

    def __init__(self) -> None:
        self.forms: list[dict[str, str]] = []
        received = self.forms

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - the stdlib's name
                length = int(self.headers.get("content-length", 0))
                received.append(dict(parse_qsl(self.rfile.read(length).decode("utf-8"), keep_blank_values=True)))
                self.send_response(200)
                self.end_headers()
                self.wfile.write(b"success")

            def log_message(self, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/alipay/notify"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()


def _client(url: str, app_id: str, private_key: str) -> DefaultAlipayClient:
    config = AlipayClientConfig()
    config.server_url = url + "/gateway.do"
    config.app_id = app_id
    config.app_private_key = private_key
    config.alipay_public_key = rsa2.platform_public_key_base64()  # as merchants paste it: bare base64
    config.sign_type = "RSA2"
    return DefaultAlipayClient(alipay_client_config=config)


def _run(client: DefaultAlipayClient, request: Any, response: Any) -> Any:
    response.parse_response_content(client.execute(request))  # execute() raises unless the sign verifies
    return response


def _deliver_notifications() -> int:
    for _ in range(5):
        if not any(outbox.run_once().values()):
            break
    return trade.deliver_due()["delivered"]


def test_every_method_through_the_official_sdk(gateway_url, beijing_time, receiver, session):
    merchant = make_merchant(session)
    app, key = make_gateway_app(session, merchant)
    buyer = make_buyer(session, balance=100_00, small_limit=20_00)
    quick_code, slow_code = payment_code(session, buyer), payment_code(session, buyer)
    session.commit()
    # Plain strings from here: a SQLite transaction takes the write lock, so the test never holds one
    # across a call (reading an expired row attribute would open one).
    merchant_id, buyer_id = merchant.public_id, buyer.public_id
    client = _client(gateway_url, app.app_id, sdk_private_key(key))

    # precreate: a dynamic QR for 12.34
    m = AlipayTradePrecreateModel()
    m.out_trade_no, m.total_amount, m.subject = "SDK-PRE-1", "12.34", "咖啡 Coffee"
    req = AlipayTradePrecreateRequest(biz_model=m)
    req.notify_url = receiver.url
    r = _run(client, req, AlipayTradePrecreateResponse())
    assert (r.code, r.msg, r.out_trade_no) == ("10000", "Success", "SDK-PRE-1")
    assert r.qr_code.startswith("000201")
    assert trade.query(session, merchant_id=merchant_id, out_trade_no="SDK-PRE-1").amount == 1234
    session.rollback()

    # pay by payment code, within the small-amount limit: paid at once (10000)
    m = AlipayTradePayModel()
    m.out_trade_no, m.scene, m.auth_code, m.total_amount, m.subject = "SDK-PAY-1", "bar_code", quick_code, "8.88", "面包"
    req = AlipayTradePayRequest(biz_model=m)
    req.notify_url = receiver.url
    r = _run(client, req, AlipayTradePayResponse())
    assert (r.code, r.total_amount, r.buyer_pay_amount, r.buyer_user_id) == ("10000", "8.88", "8.88", buyer_id)
    paid_trade_no = r.trade_no

    # pay above the limit: the citizen must confirm (10003), then the order is paid
    m = AlipayTradePayModel()
    m.out_trade_no, m.scene, m.auth_code, m.total_amount, m.subject = "SDK-PAY-2", "bar_code", slow_code, "30.00", "蛋糕"
    r = _run(client, AlipayTradePayRequest(biz_model=m), AlipayTradePayResponse())
    assert (r.code, r.msg, r.trade_no is not None) == ("10003", "等待用户付款", True)
    trade.pay_as_citizen(session, citizen_id=buyer_id, trade_no=r.trade_no)
    session.commit()

    # create (an order addressed to the citizen) and close it unpaid
    m = AlipayTradeCreateModel()
    m.out_trade_no, m.total_amount, m.subject, m.buyer_id = "SDK-CRT-1", "5.00", "水费", buyer_id
    r = _run(client, AlipayTradeCreateRequest(biz_model=m), AlipayTradeCreateResponse())
    assert r.code == "10000" and r.out_trade_no == "SDK-CRT-1" and r.trade_no
    m = AlipayTradeCloseModel()
    m.out_trade_no = "SDK-CRT-1"
    r = _run(client, AlipayTradeCloseRequest(biz_model=m), AlipayTradeCloseResponse())
    assert (r.code, r.out_trade_no) == ("10000", "SDK-CRT-1")

    # query each: statuses as Alipay names them
    for out_no, status in (("SDK-PRE-1", "WAIT_BUYER_PAY"), ("SDK-PAY-1", "TRADE_SUCCESS"),
                           ("SDK-PAY-2", "TRADE_SUCCESS"), ("SDK-CRT-1", "TRADE_CLOSED")):
        m = AlipayTradeQueryModel()
        m.out_trade_no = out_no
        r = _run(client, AlipayTradeQueryRequest(biz_model=m), AlipayTradeQueryResponse())
        assert (r.code, r.trade_status) == ("10000", status), out_no

    # refund 3.00 of 8.88 twice by the same out_request_no: money moves once; then 5.88 more
    for expected_change in ("Y", "N"):
        m = AlipayTradeRefundModel()
        m.trade_no, m.refund_amount, m.out_request_no, m.refund_reason = paid_trade_no, "3.00", "RF-1", "少找零"
        r = _run(client, AlipayTradeRefundRequest(biz_model=m), AlipayTradeRefundResponse())
        assert (r.code, r.refund_fee, r.fund_change) == ("10000", "3.00", expected_change)
    m = AlipayTradeRefundModel()
    m.out_trade_no, m.refund_amount, m.out_request_no = "SDK-PAY-1", "5.89", "RF-2"
    r = _run(client, AlipayTradeRefundRequest(biz_model=m), AlipayTradeRefundResponse())
    assert (r.code, r.sub_code) == ("40004", "ACQ.REFUND_AMT_NOT_EQUAL_TOTAL")  # 8.88 - 3.00 = 5.88 left
    m.refund_amount = "5.88"
    r = _run(client, AlipayTradeRefundRequest(biz_model=m), AlipayTradeRefundResponse())
    assert (r.code, r.refund_fee) == ("10000", "8.88")
    # the buyer's wallet: 100.00 - 8.88 - 30.00 + 3.00 + 5.88 = 70.00
    from onecity.payments.wallet import service as wallet

    assert balance(session, wallet.wallet_account_id(session, buyer_id)) == 70_00
    session.rollback()

    # notifications: paid (SDK-PAY-1), refunded twice; each verifies with the SDK's utility
    assert _deliver_notifications() >= 3
    forms = [f for f in receiver.forms if f.get("out_trade_no") == "SDK-PAY-1"]
    assert {f["trade_status"] for f in forms} >= {"TRADE_SUCCESS", "TRADE_CLOSED"}
    for form in receiver.forms:
        sign = form.pop("sign")
        form.pop("sign_type")
        content = get_sign_content(form)  # the SDK's canonical form: sorted k=v&…
        assert verify_with_rsa(rsa2.platform_public_key_base64(), content.encode("utf-8"), sign), form
        assert form["app_id"] == app.app_id and form["notify_type"] == "trade_status_sync"


def test_sdk_rejects_a_reply_signed_by_another_key(gateway_url, beijing_time, session):
    """The SDK really checks: configured with a wrong platform key, it raises on a valid reply."""
    merchant = make_merchant(session)
    app, key = make_gateway_app(session, merchant)
    session.commit()
    client = _client(gateway_url, app.app_id, sdk_private_key(key))
    client._DefaultAlipayClient__config.alipay_public_key = rsa2.bare_base64(  # type: ignore[attr-defined]
        rsa2.public_pem(app_key(fresh=True).public_key()))
    m = AlipayTradeQueryModel()
    m.out_trade_no = "NOPE"
    with pytest.raises(ResponseException, match="sign verify failed"):
        client.execute(AlipayTradeQueryRequest(biz_model=m))


def test_sdk_signed_with_the_wrong_key_gets_invalid_signature(gateway_url, beijing_time, session):
    merchant = make_merchant(session)
    app, _ = make_gateway_app(session, merchant)
    session.commit()
    client = _client(gateway_url, app.app_id, sdk_private_key(app_key(fresh=True)))
    m = AlipayTradePrecreateModel()
    m.out_trade_no, m.total_amount, m.subject = "SDK-BAD-1", "1.00", "x"
    r = _run(client, AlipayTradePrecreateRequest(biz_model=m), AlipayTradePrecreateResponse())
    assert (r.code, r.msg, r.sub_code) == ("40002", "Invalid Arguments", "isv.invalid-signature")
    assert not r.is_success()
