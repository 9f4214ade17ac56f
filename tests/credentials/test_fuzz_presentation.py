"""Fuzzing the presentation parser: any input gives a Verdict, never an exception, and nothing but
the genuine presentation is ever accepted.

`presentation._verify` is called directly: the public `verify_presentation` also turns an unexpected
exception into "malformed", which would hide a parser bug from these tests.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import cbor2
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from onecity.credentials import cwt, presentation
from onecity.credentials.cwt import MalformedCredential
from tests.credentials.samples import (
    FIELD_NAMES,
    ISSUED_AT,
    ISSUER_ID,
    DictStatus,
    DictTrust,
    issue_driving_licence,
)

NOW = ISSUED_AT + 86_400
ISSUED = issue_driving_licence()
TRUST = DictTrust((ISSUER_ID, ISSUED.issuer_key))
K = ISSUED.holder_key
GENUINE = presentation.present(ISSUED.full, holder_alg=K.alg, holder_private=K.private, holder_public=K.public,
                               now=NOW)  # fmt: skip
GENUINE_CBOR = cwt.decode_qr(GENUINE)
FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@dataclass(frozen=True)
class Signer:
    """A trust entry with a signing period, as trust.TrustedSigner."""

    issuer_id: str
    alg: str
    public_key: bytes

    def covers(self, at: datetime) -> bool:
        return at.timestamp() >= ISSUED_AT - 10


class ObjectTrust:
    def lookup(self, kid: str) -> Signer | None:
        entry = TRUST.lookup(kid)
        return None if entry is None else Signer(*entry)


def run(text: Any, trust: Any = TRUST) -> presentation.Verdict:
    try:
        v = presentation._verify(
            text, trust=trust, status=DictStatus(), now=NOW, nonce=None, types=FIELD_NAMES
        )
    except MalformedCredential:
        v = presentation.Verdict(False, "malformed")
    assert v.reason in presentation.REASONS
    public = presentation.verify_presentation(
        text, trust=trust, status=DictStatus(), now=NOW, types=FIELD_NAMES
    )
    assert (public.ok, public.reason) == (v.ok, v.reason)
    return v


def test_the_genuine_presentation_passes() -> None:
    assert run(GENUINE).ok


@FUZZ
@given(st.text(max_size=800))
def test_any_text(text: str) -> None:
    assert not run(text).ok


@FUZZ
@given(st.text(alphabet="0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:", max_size=800))
def test_any_base45_text(body: str) -> None:
    assert not run("OC1:" + body).ok


@FUZZ
@given(st.binary(max_size=600))
def test_any_bytes_in_the_envelope(data: bytes) -> None:
    assert not run(cwt.encode_qr(data)).ok


@FUZZ
@given(st.integers(0, len(GENUINE) - 1), st.sampled_from("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"))
def test_one_character_changed(pos: int, char: str) -> None:
    text = GENUINE[:pos] + char + GENUINE[pos + 1 :]
    v = run(text)
    if v.ok:  # only if the change decodes to the very same presentation
        assert cwt.decode_qr(text) == GENUINE_CBOR


@FUZZ
@given(st.integers(0, len(GENUINE)))
def test_truncated(n: int) -> None:
    v = run(GENUINE[:n])
    assert v.ok == (n == len(GENUINE))


@FUZZ
@given(st.integers(0, len(GENUINE_CBOR) - 1), st.integers(1, 255))
def test_one_byte_changed(pos: int, xor: int) -> None:
    data = bytearray(GENUINE_CBOR)
    data[pos] ^= xor
    assert not run(cwt.encode_qr(bytes(data))).ok


cbor_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**64), 2**64) | st.binary(max_size=40) | st.text(max_size=20)
    | st.floats(allow_nan=True),
    lambda children: st.lists(children, max_size=5) | st.dictionaries(st.integers(-70000, 70000) | st.text(max_size=5), children, max_size=5),
    max_leaves=20,
)  # fmt: skip


@FUZZ
@given(st.integers(0, 4), cbor_values)
def test_a_member_replaced(idx: int, value: Any) -> None:
    items = cbor2.loads(GENUINE_CBOR)
    if idx < len(items):
        items[idx] = value
    else:
        items.append(value)
    v = run(cwt.encode_qr(cbor2.dumps(items)))
    assert not v.ok


@FUZZ
@given(st.sampled_from([-65540, -65539, -65538, -65537, 1, 4, 5, 6, 7, 8, 65535]), cbor_values)
def test_a_claim_replaced_and_resigned_by_a_stranger(key: int, value: Any) -> None:
    """Structurally odd certificates, well signed by an unknown key, reach the claim parser."""
    signed = cwt.parse(ISSUED.full)
    body = cbor2.loads(signed.payload)
    body[key] = value
    protected = signed.protected
    payload = cbor2.dumps(body)
    cert = cbor2.dumps(cbor2.CBORTag(18, [protected, {}, payload, b"\x00" * 64]))
    items = cbor2.loads(GENUINE_CBOR)
    items[0] = cert
    text = cwt.encode_qr(cbor2.dumps(items))
    assert not run(text).ok
    assert not run(text, ObjectTrust()).ok


def test_object_trust_entries_work() -> None:
    assert run(GENUINE, ObjectTrust()).ok
