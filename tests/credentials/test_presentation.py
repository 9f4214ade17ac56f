"""The rotating QR presentation and its offline verifier: every verdict (onecity.credentials.presentation)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import cbor2
import pytest
import segno

from onecity.credentials import algorithms, cwt, presentation
from onecity.credentials.presentation import MAX_AGE_S, REASONS, Verdict
from tests.credentials.samples import (
    EXPIRES_AT,
    FIELD_NAMES,
    ISSUED_AT,
    ISSUER_ID,
    STATUS_URI,
    DictStatus,
    DictTrust,
    Issued,
    issue_driving_licence,
)

NOW = ISSUED_AT + 86_400


def show(i: Issued, cert: bytes | None = None, *, at: int = NOW, nonce: bytes | None = None) -> str:
    k = i.holder_key
    return presentation.present(
        cert if cert is not None else i.full,
        holder_alg=k.alg,
        holder_private=k.private,
        holder_public=k.public,
        now=at,
        nonce=nonce,
    )


def check(i: Issued, text: str, *, at: int = NOW, status: DictStatus | None = None, **kw: object) -> Verdict:
    return presentation.verify_presentation(
        text,
        trust=DictTrust((ISSUER_ID, i.issuer_key)),
        status=status if status is not None else DictStatus(),
        now=at,
        types=FIELD_NAMES,
        **kw,  # type: ignore[arg-type]
    )


def repack(text: str, **changes: object) -> str:
    """Re-encode a presentation with some of its members replaced (a forger's tool)."""
    items = cbor2.loads(cwt.decode_qr(text))
    names = ["certificate", "ts", "hint", "sig", "nonce"]
    for name, value in changes.items():
        idx = names.index(name)
        if idx == len(items):
            items.append(value)
        else:
            items[idx] = value
    return cwt.encode_qr(cbor2.dumps(items))


@pytest.mark.parametrize(("issuer_alg", "holder_alg"), [("EdDSA", "EdDSA"), ("SM2", "EdDSA"), ("SM2", "SM2")])
def test_full_licence_verifies_offline(issuer_alg: str, holder_alg: str) -> None:
    i = issue_driving_licence(issuer_alg, holder_alg)
    v = check(i, show(i))
    assert (v.ok, v.reason) == (True, "ok")
    assert v.issuer == ISSUER_ID and v.type_id == 2 and v.view is None
    assert v.claims["name"] == "欧阳建国" and v.claims["licence_class"] == "C1"
    assert v.claims["valid_until"] == date(2032, 3, 2)
    assert v.status_checked and v.presented_at == NOW and v.expires_at == EXPIRES_AT
    assert v.message == ("证照有效", "Valid")


def test_views_disclose_only_their_fields() -> None:
    i = issue_driving_licence()
    hotel = check(i, show(i, i.hotel))
    assert hotel.ok and hotel.view == "hotel"
    assert hotel.claims == {"name": "欧阳建国", "licence_number": "110105198807142316"}
    police = check(i, show(i, i.traffic_police))
    assert police.ok and police.view == "traffic_police"
    assert set(police.claims) == {"name", "licence_number", "licence_class", "valid_from", "valid_until"}
    assert "address" not in police.claims


def test_claims_by_key_without_a_type_catalogue() -> None:
    i = issue_driving_licence()
    v = presentation.verify_presentation(show(i, i.hotel), trust=DictTrust((ISSUER_ID, i.issuer_key)),
                                         status=None, now=NOW)  # fmt: skip
    assert v.ok and v.claims == {"1": "欧阳建国", "7": "110105198807142316"}
    assert not v.status_checked  # no status cache offline: ok, but the verifier is told


def test_qr_sizes_fit_a_phone_screen() -> None:
    """Measured at error level Q (the issue's targets: <= 700 characters, <= version 20)."""
    i = issue_driving_licence()
    sizes = {}
    for name, cert in (("full", i.full), ("hotel", i.hotel), ("traffic_police", i.traffic_police)):
        text = show(i, cert)
        qr = segno.make_qr(text, error="q", boost_error=False)
        assert qr.mode == "alphanumeric"
        sizes[name] = (len(text), qr.version)
    assert sizes["full"][0] <= 700 and sizes["full"][1] <= 20
    assert sizes["hotel"][0] < sizes["traffic_police"][0] < sizes["full"][0]
    assert sizes["hotel"][1] <= sizes["full"][1]


def test_the_presentation_dies_after_its_window() -> None:
    i = issue_driving_licence()
    text = show(i, at=NOW)
    assert check(i, text, at=NOW + MAX_AGE_S).ok
    assert check(i, text, at=NOW + MAX_AGE_S + 1).reason == "stale_presentation"  # the screenshot
    assert check(i, text, at=NOW - presentation.CLOCK_SKEW_S).ok
    assert check(i, text, at=NOW - presentation.CLOCK_SKEW_S - 1).reason == "clock_skew"
    fresh = show(i, at=NOW + 600)
    assert check(i, fresh, at=NOW + 600).ok


def test_accepts_datetimes() -> None:
    i = issue_driving_licence()
    at = datetime.fromtimestamp(NOW, UTC)
    assert check(i, show(i), at=at).ok  # type: ignore[arg-type]


def test_verifier_nonce_stops_replay() -> None:
    i = issue_driving_licence()
    text = show(i, nonce=b"n-123")
    assert check(i, text, nonce=b"n-123").ok
    assert check(i, text, nonce=b"n-456").reason == "stale_presentation"
    assert check(i, show(i), nonce=b"n-123").reason == "stale_presentation"
    # moving the nonce is caught by the holder's signature
    assert check(i, repack(text, nonce=b"n-456"), nonce=b"n-456").reason == "tampered"


def test_expiry_and_not_before() -> None:
    i = issue_driving_licence()
    assert check(i, show(i, at=EXPIRES_AT), at=EXPIRES_AT).reason == "expired"
    assert check(i, show(i, at=EXPIRES_AT - 1), at=EXPIRES_AT - 1).ok
    later = issue_driving_licence(not_before=NOW + 3600)
    assert check(later, show(later)).reason == "not_yet_valid"


def test_revoked_and_unknown_status() -> None:
    i = issue_driving_licence(status_idx=7)
    text = show(i)
    v = check(i, text, status=DictStatus({(STATUS_URI, 7)}))
    assert v.reason == "revoked" and not v.ok and v.claims == {}
    assert check(i, text, status=DictStatus({(STATUS_URI, 8)})).ok
    unknown = check(i, text, status=DictStatus(known=False))
    assert unknown.ok and not unknown.status_checked


def test_unknown_issuer() -> None:
    i = issue_driving_licence()
    stranger = issue_driving_licence()
    assert check(i, show(stranger)).reason == "unknown_issuer"
    # a trusted key whose certificate names another issuer
    other = issue_driving_licence(issuer_key=i.issuer_key, carry_iss=True, issuer_id="iss_SOMEONE_ELSE")
    assert check(i, show(other)).reason == "unknown_issuer"
    same = issue_driving_licence(issuer_key=i.issuer_key, carry_iss=True)
    assert check(i, show(same)).ok


def test_bad_signature_for_a_forged_or_edited_certificate() -> None:
    i = issue_driving_licence()
    # the forger signs with their own key under the real issuer's kid
    forger = algorithms.generate("EdDSA")
    signed = cwt.parse(i.full)
    forged = cwt.sign_certificate(signed.certificate, alg="EdDSA", private=forger.private, kid=i.kid)
    assert check(i, show(i, forged)).reason == "bad_signature"
    # an edited claim: the old signature no longer fits
    tag = cbor2.loads(i.full)
    protected, _u, payload, sig = tag.value
    body = cbor2.loads(payload)
    body[-65538][10] = cbor2.CBORTag(100, 30000)  # valid until 2052
    edited = cbor2.dumps(cbor2.CBORTag(18, [protected, {}, cbor2.dumps(body), sig]))
    assert check(i, show(i, edited)).reason == "bad_signature"
    # an SM2 key in the trust list for a kid whose certificate says EdDSA
    sm2 = issue_driving_licence("SM2")
    trust = DictTrust()
    trust.keys[i.kid] = (ISSUER_ID, "SM2", sm2.issuer_key.public)
    v = presentation.verify_presentation(show(i), trust=trust, status=None, now=NOW)
    assert v.reason == "bad_signature"


def test_wrong_holder_and_tampered() -> None:
    i = issue_driving_licence()
    thief = algorithms.generate("EdDSA")
    stolen = presentation.present(i.full, holder_alg="EdDSA", holder_private=thief.private,
                                  holder_public=thief.public, now=NOW)  # fmt: skip
    v = check(i, stolen)
    assert v.reason == "wrong_holder" and v.message[1] == "Shown by someone other than the holder"
    # reviving a screenshot by editing its timestamp
    old = show(i, at=NOW - 3600)
    assert check(i, repack(old, ts=NOW)).reason == "tampered"
    # another certificate of the same holder's slipped under the signature
    assert check(i, repack(show(i, i.hotel), certificate=i.full)).reason == "tampered"


def test_unknown_type() -> None:
    i = issue_driving_licence()
    v = presentation.verify_presentation(
        show(i), trust=DictTrust((ISSUER_ID, i.issuer_key)), status=None, now=NOW, types={99: {}}
    )
    assert v.reason == "unknown_type"


@pytest.mark.parametrize(
    "text",
    [
        "",
        "OC1:",
        "hello",
        "OC1:" + "A" * 30,
        cwt.encode_qr(b"\xa0"),
        cwt.encode_qr(cbor2.dumps([1, 2, 3, 4])),
    ],
)
def test_malformed(text: str) -> None:
    i = issue_driving_licence()
    v = check(i, text)
    assert (v.ok, v.reason, v.claims) == (False, "malformed", {})


def test_every_reason_has_a_message() -> None:
    assert set(presentation.MESSAGES) == set(REASONS)
    for zh, en in presentation.MESSAGES.values():
        assert zh and en


def test_with_the_real_trust_list_and_status_cache() -> None:
    """The verifier takes H-TRUST's TrustStore (a platform-signed list, with key periods) and the
    status-list cache as they are: a Beijing licence verified from a list another region recognises."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from onecity import clock
    from onecity.credentials import status_list, trust
    from onecity.credentials.schemas import TrustedIssuer, TrustedKey

    platform = algorithms.generate("EdDSA")
    ik = algorithms.generate("EdDSA")
    kid = algorithms.key_id("EdDSA", ik.public)
    at = datetime.fromtimestamp(NOW, UTC)

    def store(not_after: datetime | None) -> trust.TrustStore:
        key = TrustedKey(kid=kid, alg="EdDSA", public_key=ik.public, status="active",
                         not_before=datetime.fromtimestamp(ISSUED_AT - 10, UTC), not_after=not_after)  # fmt: skip
        issuer = TrustedIssuer(issuer_id=ISSUER_ID, org_id="org_bjjgj", name="北京市公安局公安交通管理局",
                               region="110105", keys=(key,))  # fmt: skip
        text = trust.sign_trust_list(scope="110000", name="北京市", issuers=[issuer], recognised=[],
                                     issued_at=at, expires_at=at + timedelta(days=30),
                                     platform_private=platform.private)  # fmt: skip
        return trust.TrustStore.from_text(text, platform.public, now=at)

    i = issue_driving_licence(issuer_key=ik, status_idx=5)
    statuses = status_list.StatusList.new(64)
    issuer_sk = Ed25519PrivateKey.from_private_bytes(ik.private)
    cache = status_list.StatusCache()
    cache.put(status_list.verify_cwt(status_list.sign_cwt(statuses, key=issuer_sk, sub=STATUS_URI, iat=at, ttl=600),
                                     key=issuer_sk.public_key(), now=at), fetched_at=at)  # fmt: skip
    clock.freeze(at)
    try:
        v = presentation.verify_presentation(
            show(i), trust=store(None), status=cache, now=at, types=FIELD_NAMES
        )
        assert v.ok and v.status_checked and v.issuer == ISSUER_ID
        # a key retired before this certificate was signed does not vouch for it
        retired = store(datetime.fromtimestamp(ISSUED_AT - 1, UTC))
        assert presentation.verify_presentation(show(i), trust=retired, status=cache, now=at).reason == (
            "unknown_issuer"
        )
        statuses.set(5, status_list.INVALID)
        cache.put(status_list.verify_cwt(status_list.sign_cwt(statuses, key=issuer_sk, sub=STATUS_URI, iat=at),
                                         key=issuer_sk.public_key(), now=at), fetched_at=at)  # fmt: skip
        assert (
            presentation.verify_presentation(show(i), trust=store(None), status=cache, now=at).reason
            == "revoked"
        )
    finally:
        clock.reset()
