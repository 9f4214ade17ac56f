"""Face verification end to end through the HTTP API, on real photos and the real dlib models.

The live person is scikit-image's astronaut photo, turned by `photos.head_turn`; the registry holds a
grey, smaller copy of it (an ID photo), or Grace Hopper's photo for "another person".
"""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from onecity import clock
from onecity.audit.models import AuditEntry
from onecity.config import get_settings
from onecity.crypto.fields import decrypt
from onecity.db import transaction
from onecity.identity.face import engine, service
from onecity.identity.face.models import FaceChallenge, FaceGrant, FaceReference, FaceVerification
from tests.identity.face import photos
from tests.identity.face.conftest import Frames, b64
from tests.identity.factories import login_token, make_citizen

ACT = "family.link_minor"


@pytest.fixture(scope="module")
def id_photo() -> bytes:
    """The astronaut as the registry keeps her: grey, smaller, recompressed."""
    img = photos.transformations(photos.astronaut())["grey"]
    return photos.jpeg(img.resize((img.width * 3 // 4, img.height * 3 // 4)), 80)


def citizen_headers(session, *, photo: bytes | None, verified: bool = True) -> tuple[str, dict[str, str]]:
    citizen = make_citizen(session, verified=verified, photo=photo)
    token = login_token(session, citizen)
    session.commit()
    return citizen.public_id, {"Authorization": f"Bearer {token}"}


def challenge(client, headers, act: str = ACT) -> dict:
    r = client.post("/v1/face/challenges", json={"act": act}, headers=headers)
    assert r.status_code == 201, r.text
    return r.json()


def following(ch: dict, frames: Frames) -> list[bytes]:
    """The frames of a person who does what the challenge asks."""
    return frames.left_then_right if ch["steps"][1] == "turn_left" else frames.right_then_left


def not_following(ch: dict, frames: Frames) -> list[bytes]:
    """Both turns, in the other order."""
    return frames.right_then_left if ch["steps"][1] == "turn_left" else frames.left_then_right


def verify(client, headers, nonce: str, frames: list[bytes], **extra_headers: str) -> dict:
    r = client.post("/v1/face/verifications", json={"nonce": nonce, "frames": b64(frames)},
                    headers={**headers, **extra_headers})
    assert r.status_code == 201, r.text
    return r.json()


def test_challenge_is_one_time_random_and_short_lived(client, session, id_photo, face_models):
    _, headers = citizen_headers(session, photo=id_photo)
    first, second = challenge(client, headers), challenge(client, headers)
    assert first["nonce"] != second["nonce"] and first["challenge_id"] != second["challenge_id"]
    assert first["act"] == ACT
    assert first["steps"][0] == first["steps"][-1] == "center"
    assert sorted(first["steps"][1:3]) == ["turn_left", "turn_right"]
    orders = {tuple(challenge(client, headers)["steps"]) for _ in range(24)}
    assert len(orders) == 2  # both orders occur (a miss has probability 2 × 2⁻²⁴)
    ttl = get_settings().face_nonce_ttl_seconds
    with transaction() as s:
        row = s.scalar(select(FaceChallenge).where(FaceChallenge.public_id == first["challenge_id"]))
        assert row is not None
        assert (row.expires_at - row.created_at).total_seconds() == ttl
        assert first["nonce"] not in (row.nonce_sha256, row.public_id)  # only a hash of the nonce is kept


def test_challenges_are_rate_limited_per_citizen(client, session, id_photo, face_models):
    _, headers = citizen_headers(session, photo=id_photo)
    _, other = citizen_headers(session, photo=id_photo)
    for _ in range(service.CHALLENGES_PER_HOUR):
        challenge(client, headers)
    r = client.post("/v1/face/challenges", json={"act": ACT}, headers=headers)
    assert r.status_code == 429 and r.json()["code"] == "rate_limited"
    challenge(client, other)  # another citizen is not held back
    clock.advance(timedelta(hours=2))
    challenge(client, headers)


def test_pass_gives_a_single_use_grant_for_that_act_and_uses_the_nonce_up(client, session, id_photo, astronaut_frames):
    citizen_id, headers = citizen_headers(session, photo=id_photo)
    ch = challenge(client, headers)
    v = verify(client, headers, ch["nonce"], following(ch, astronaut_frames))
    print(f"\npass: distance {v['score']:.3f}, threshold {v['threshold']}, {v['duration_ms']} ms "
          f"for {len(following(ch, astronaut_frames))} frames")
    assert v["decision"] == "pass" and v["reason"] is None
    assert 0 < v["score"] < v["threshold"] == get_settings().face_threshold
    assert v["grant_id"].startswith("fgr_") and v["act"] == ACT
    again = verify(client, headers, ch["nonce"], following(ch, astronaut_frames))  # the nonce is used up
    assert again["decision"] == "fail" and again["reason"] == "face_nonce_used" and again["grant_id"] is None
    with transaction() as s:
        grant = s.scalar(select(FaceGrant).where(FaceGrant.public_id == v["grant_id"]))
        assert grant is not None
        assert (grant.expires_at - grant.created_at).total_seconds() == get_settings().face_grant_ttl_seconds
    with transaction() as s:
        service.consume_grant(s, citizen_id=citizen_id, act=ACT, grant_id=v["grant_id"])
    with pytest.raises(service.FaceGrantInvalid) as used, transaction() as s:
        service.consume_grant(s, citizen_id=citizen_id, act=ACT, grant_id=v["grant_id"])
    assert used.value.extra["why"] == "used" and used.value.code == "face_grant_invalid"


def test_grant_is_refused_for_another_act_another_citizen_or_after_expiry(client, session, id_photo,
                                                                          astronaut_frames):
    citizen_id, headers = citizen_headers(session, photo=id_photo)
    other_id, _ = citizen_headers(session, photo=None)
    ch = challenge(client, headers)
    grant_id = verify(client, headers, ch["nonce"], following(ch, astronaut_frames))["grant_id"]
    cases = [
        (dict(citizen_id=citizen_id, act="payment.large", grant_id=grant_id), "other_act"),
        (dict(citizen_id=other_id, act=ACT, grant_id=grant_id), "missing"),
        (dict(citizen_id=citizen_id, act=ACT, grant_id="fgr_01NOSUCHGRANT"), "missing"),
    ]
    for kwargs, why in cases:
        with pytest.raises(service.FaceGrantInvalid) as exc, transaction() as s:
            service.consume_grant(s, **kwargs)
        assert exc.value.extra["why"] == why
    clock.advance(timedelta(seconds=get_settings().face_grant_ttl_seconds))
    with pytest.raises(service.FaceGrantInvalid) as expired, transaction() as s:
        service.consume_grant(s, citizen_id=citizen_id, act=ACT, grant_id=grant_id)
    assert expired.value.extra["why"] == "expired"
    with transaction() as s:  # none of the refusals used the grant up
        assert s.scalar(select(FaceGrant.consumed_at).where(FaceGrant.public_id == grant_id)) is None


def test_concurrent_attempts_with_one_nonce_pass_once(client, session, id_photo, astronaut_frames):
    from concurrent.futures import ThreadPoolExecutor

    citizen_id, headers = citizen_headers(session, photo=id_photo)
    ch = challenge(client, headers)
    frames = b64(following(ch, astronaut_frames))

    def attempt(_: int) -> tuple[str, str | None]:
        with transaction() as s:
            v = service.verify(s, actor=citizen_id, citizen_id=citizen_id, nonce=ch["nonce"], frames=frames)
            return v.decision, v.reason

    with ThreadPoolExecutor(max_workers=2) as pool:
        outcomes = sorted(pool.map(attempt, range(2)), key=str)
    assert outcomes == [("fail", "face_nonce_used"), ("pass", None)]


def test_an_expired_nonce_fails(client, session, id_photo, astronaut_frames):
    _, headers = citizen_headers(session, photo=id_photo)
    ch = challenge(client, headers)
    clock.advance(timedelta(seconds=get_settings().face_nonce_ttl_seconds + 1))
    v = verify(client, headers, ch["nonce"], following(ch, astronaut_frames))
    assert v["decision"] == "fail" and v["reason"] == "face_nonce_expired" and v["grant_id"] is None


def test_another_person_does_not_match(client, session, astronaut_frames):
    _, headers = citizen_headers(session, photo=photos.jpeg(photos.hopper()))
    ch = challenge(client, headers)
    v = verify(client, headers, ch["nonce"], following(ch, astronaut_frames))
    print(f"\nanother person: distance {v['score']:.3f}")
    assert v["decision"] == "fail" and v["reason"] == "face_no_match"
    assert v["score"] > v["threshold"] and v["grant_id"] is None


def test_static_frames_do_not_follow_the_challenge(client, session, id_photo, astronaut_frames):
    _, headers = citizen_headers(session, photo=id_photo)
    ch = challenge(client, headers)
    v = verify(client, headers, ch["nonce"], [astronaut_frames.reference] * 8)
    assert v["decision"] == "fail" and v["reason"] == "face_challenge_not_followed"
    assert v["score"] < v["threshold"]  # the right person, but a still photo


def test_turns_in_the_wrong_order_do_not_follow_the_challenge(client, session, id_photo, astronaut_frames):
    _, headers = citizen_headers(session, photo=id_photo)
    ch = challenge(client, headers)
    v = verify(client, headers, ch["nonce"], not_following(ch, astronaut_frames))
    assert v["decision"] == "fail" and v["reason"] == "face_challenge_not_followed"


def test_a_frame_without_a_face_fails(client, session, id_photo, astronaut_frames):
    _, headers = citizen_headers(session, photo=id_photo)
    ch = challenge(client, headers)
    frames = list(following(ch, astronaut_frames))
    frames[5] = photos.jpeg(photos.coffee())
    v = verify(client, headers, ch["nonce"], frames)
    assert v["decision"] == "fail" and v["reason"] == "face_not_found" and v["score"] is None


def test_a_frame_with_two_faces_fails(client, session, id_photo, astronaut_frames):
    _, headers = citizen_headers(session, photo=id_photo)
    ch = challenge(client, headers)
    frames = list(following(ch, astronaut_frames))
    frames[0] = photos.jpeg(photos.side_by_side(photos.astronaut(), photos.hopper()))
    v = verify(client, headers, ch["nonce"], frames)
    assert v["decision"] == "fail" and v["reason"] == "face_multiple"


def test_no_reference_photo(client, session, face_models):
    _, no_photo = citizen_headers(session, photo=None)
    _, faceless = citizen_headers(session, photo=photos.jpeg(photos.coffee()))
    for headers in (no_photo, faceless):
        r = client.post("/v1/face/challenges", json={"act": ACT}, headers=headers)
        assert r.status_code == 409 and r.json()["code"] == "face_no_reference"


def test_reference_removed_after_the_challenge(client, session, id_photo, astronaut_frames):
    from onecity.identity.models import Citizen, PopulationRegistryEntry

    citizen_id, headers = citizen_headers(session, photo=id_photo)
    ch = challenge(client, headers)
    with transaction() as s:
        citizen = s.scalar(select(Citizen).where(Citizen.public_id == citizen_id))
        assert citizen is not None
        entry = s.get(PopulationRegistryEntry, citizen.registry_entry_id)
        assert entry is not None
        entry.photo_enc = None
    v = verify(client, headers, ch["nonce"], following(ch, astronaut_frames))
    assert v["decision"] == "fail" and v["reason"] == "face_no_reference"


def test_only_real_name_verified_citizens(client, session, id_photo):
    _, unverified = citizen_headers(session, photo=None, verified=False)
    r = client.post("/v1/face/challenges", json={"act": ACT}, headers=unverified)
    assert r.status_code == 403 and r.json()["code"] == "real_name_required"
    r = client.post("/v1/face/verifications", json={"nonce": "x" * 43, "frames": ["A" * 16]}, headers=unverified)
    assert r.status_code == 403
    assert client.post("/v1/face/challenges", json={"act": ACT}).status_code == 401


def test_someone_elses_nonce_is_not_found(client, session, id_photo, astronaut_frames):
    _, alice = citizen_headers(session, photo=id_photo)
    _, bob = citizen_headers(session, photo=id_photo)
    ch = challenge(client, alice)
    r = client.post("/v1/face/verifications", json={"nonce": ch["nonce"], "frames": b64(astronaut_frames.left_then_right)},
                    headers=bob)
    assert r.status_code == 404 and r.json()["code"] == "face_challenge_not_found"
    with transaction() as s:  # Alice's challenge is still unused
        assert s.scalar(select(FaceChallenge.used_at).where(FaceChallenge.public_id == ch["challenge_id"])) is None


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"act": "Family Link"}, "validation_error"),
        ({"act": "nodots"}, "validation_error"),
        ({}, "validation_error"),
    ],
)
def test_challenge_input_is_validated(client, session, body, code):
    _, headers = citizen_headers(session, photo=None)
    r = client.post("/v1/face/challenges", json=body, headers=headers)
    assert r.status_code == 422 and r.json()["code"] == code


def test_bad_frames_change_nothing(client, session, id_photo, astronaut_frames):
    _, headers = citizen_headers(session, photo=id_photo)
    ch = challenge(client, headers)
    good = b64(following(ch, astronaut_frames))
    bad_bodies = [
        ({"nonce": ch["nonce"], "frames": good[:3] + ["!!!not base64!!!"]}, "face_frame_invalid"),
        ({"nonce": ch["nonce"], "frames": good[:3] + ["bm90IGFuIGltYWdlIGF0IGFsbA=="]}, "face_frame_invalid"),
        ({"nonce": ch["nonce"], "frames": good[:1] * 25}, "validation_error"),  # too many
        ({"nonce": ch["nonce"], "frames": ["A" * 400_001]}, "validation_error"),  # too large
        ({"nonce": ch["nonce"], "frames": []}, "validation_error"),
    ]
    for body, code in bad_bodies:
        r = client.post("/v1/face/verifications", json=body, headers=headers)
        assert r.status_code == 422 and r.json()["code"] == code, r.text
    with transaction() as s:
        assert s.scalar(select(func.count()).select_from(FaceVerification)) == 0
        assert s.scalar(select(FaceChallenge.used_at).where(FaceChallenge.public_id == ch["challenge_id"])) is None
    assert verify(client, headers, ch["nonce"], following(ch, astronaut_frames))["decision"] == "pass"


def test_verification_replays_under_an_idempotency_key(client, session, id_photo, astronaut_frames):
    _, headers = citizen_headers(session, photo=id_photo)
    ch = challenge(client, headers)
    frames = following(ch, astronaut_frames)
    body = {"nonce": ch["nonce"], "frames": b64(frames)}
    h = {**headers, "Idempotency-Key": "face-try-1"}
    r1 = client.post("/v1/face/verifications", json=body, headers=h)
    r2 = client.post("/v1/face/verifications", json=body, headers=h)
    assert r1.status_code == r2.status_code == 201
    assert r1.json() == r2.json() and r1.json()["decision"] == "pass"
    assert r2.headers["idempotent-replayed"] == "true"
    with transaction() as s:
        assert s.scalar(select(func.count()).select_from(FaceVerification)) == 1


def test_attempts_are_stored_and_audited_without_frames(client, session, id_photo, astronaut_frames):
    citizen_id, headers = citizen_headers(session, photo=id_photo)
    ch = challenge(client, headers)
    ok = verify(client, headers, ch["nonce"], following(ch, astronaut_frames))
    ch2 = challenge(client, headers, act="payment.large")
    bad = verify(client, headers, ch2["nonce"], [astronaut_frames.reference] * 4)
    with transaction() as s:
        rows = {r.public_id: r for r in s.scalars(select(FaceVerification))}
        assert set(rows) == {ok["verification_id"], bad["verification_id"]}
        first, second = rows[ok["verification_id"]], rows[bad["verification_id"]]
        assert (first.act, first.decision, first.reason) == (ACT, "pass", None)
        assert first.score == pytest.approx(ok["score"]) and first.frame_count == 13
        assert (second.act, second.decision, second.reason) == ("payment.large", "fail",
                                                               "face_challenge_not_followed")
        columns = set(FaceVerification.__table__.columns.keys())
        assert not columns & {"frames", "frame", "image", "embedding"}
        entries = list(s.scalars(select(AuditEntry).where(AuditEntry.action == "face.verify")
                                 .order_by(AuditEntry.seq)))
        assert [e.resource for e in entries] == [f"face_verification/{ok['verification_id']}",
                                                 f"face_verification/{bad['verification_id']}"]
        assert all(e.subject_citizen_id == citizen_id and e.actor_id == citizen_id for e in entries)
        assert "pass" in entries[0].reason and "face_challenge_not_followed" in entries[1].reason
        # The reference embedding is cached, encrypted.
        (ref,) = s.scalars(select(FaceReference))
        vec = engine.embedding_from_bytes(decrypt(ref.embedding_enc, purpose=service.ENC_REFERENCE_EMBEDDING))
        assert vec.shape == (128,)
        assert engine.embedding_to_bytes(vec)[:64] not in ref.embedding_enc


def test_a_new_registry_photo_replaces_the_cached_reference(session, id_photo, face_models):
    from onecity.crypto.fields import encrypt
    from onecity.identity.models import Citizen, PopulationRegistryEntry
    from onecity.identity.service import ENC_REGISTRY_PHOTO

    citizen = make_citizen(session, verified=True, photo=id_photo)
    session.commit()
    with transaction() as s:
        row = s.scalar(select(Citizen).where(Citizen.public_id == citizen.public_id))
        assert row is not None
        first = service.reference_embedding(s, row)
        entry = s.get(PopulationRegistryEntry, row.registry_entry_id)
        assert entry is not None and first is not None
        entry.photo_enc = encrypt(photos.jpeg(photos.hopper()), purpose=ENC_REGISTRY_PHOTO)
        s.flush()
        second = service.reference_embedding(s, row)
        assert second is not None and engine.distance(first, second) > get_settings().face_threshold
        assert s.scalar(select(func.count()).select_from(FaceReference)) == 1


# --- the page -------------------------------------------------------------------------------------

def page_config(html: str) -> dict:
    """The JSON the page hands its script (act, messages in the page language, capture schedule)."""
    found = re.search(r'<script type="application/json" id="face-config">(.*?)</script>', html, re.S)
    assert found is not None
    return json.loads(found.group(1))


def test_face_page(client, session, id_photo):
    _, verified = citizen_headers(session, photo=id_photo)
    _, unverified = citizen_headers(session, photo=None, verified=False)
    r = client.get("/app/face?act=payment.large", headers=verified)
    assert r.status_code == 200
    assert 'data-testid="face-start"' in r.text and "用于：大额支付" in r.text
    config = page_config(r.text)
    assert config["act"] == "payment.large" and config["messages"]["step.turn_left"] == "请向左转头"
    assert config["messages"]["reason.face_no_match"] == "与人口库照片不一致"
    assert 'src="http' not in r.text and "href=\"http" not in r.text  # nothing from the internet
    en = client.get("/app/face?act=payment.large&lang=en", headers=verified).text
    assert page_config(en)["messages"]["step.turn_left"] == "Turn your head left" and "For: Large payment" in en
    odd = client.get("/app/face?act=<script>x</script>&lang=zh-CN", headers=verified).text
    assert "刷脸认证（确认本人）" in odd and "<script>x</script>" not in odd  # unknown shapes fall back
    r = client.get("/app/face", headers=unverified)
    assert 'data-testid="face-need-real-name"' in r.text and 'data-testid="face-start"' not in r.text
    r = client.get("/app/face?act=payment.large", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/app/login?next=/app/face")
