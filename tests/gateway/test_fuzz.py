"""Fuzzing the gateway's parsers of outside input: whatever arrives, the answer is one of Alipay's
signed replies, never an exception, and a call that is not properly signed commits nothing."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from onecity.crypto import rsa2
from onecity.gateway import service as gateway
from onecity.gateway.service import methods
from onecity.gateway.service.replies import GatewayError
from tests.gateway.factories import split_reply

COMMON = ["app_id", "method", "format", "charset", "sign_type", "sign", "timestamp", "version", "notify_url",
          "biz_content", "app_auth_token"]
json_values = st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
                           lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner,
                                                                                        max_size=3), max_leaves=8)
METHOD_NAMES = st.sampled_from([*gateway.METHODS, "alipay.trade.cancel", "", "x" * 300])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(params=st.dictionaries(st.sampled_from(COMMON) | st.text(max_size=10), st.text(max_size=60), max_size=12),
       method=METHOD_NAMES, biz=json_values)
def test_any_parameters_get_a_signed_alipay_reply(session: Any, params: dict[str, str], method: str, biz: Any) -> None:
    params = {**params, "method": method, "biz_content": json.dumps(biz)}
    reply = gateway.handle(session, params)
    session.rollback()
    assert not reply.commit  # nobody signed these
    key, body, sign = split_reply(reply.text)
    assert rsa2.verify_text(body, sign, rsa2.platform_public_pem())
    obj = json.loads(body)
    assert obj["code"] in {"40001", "40002", "40006"} and obj["sub_code"].startswith("isv.")
    assert key == (method.replace(".", "_") + "_response" if method in gateway.METHODS else "error_response")


@settings(max_examples=300, deadline=None)
@given(biz=st.dictionaries(st.sampled_from(["total_amount", "refund_amount", "timeout_express", "time_expire"]),
                           json_values, max_size=4))
def test_biz_fields_parse_or_fail_as_invalid_parameters(biz: dict[str, Any]) -> None:
    from datetime import UTC, datetime

    now = datetime(2026, 11, 26, 4, 0, tzinfo=UTC)
    for parse in (lambda: methods.fen(biz, "total_amount"), lambda: methods.timeout_minutes(biz, now)):
        try:
            value = parse()
        except GatewayError as e:
            assert e.sub_code == "ACQ.INVALID_PARAMETER"
        else:
            assert isinstance(value, int) and value >= 1
