"""A verifier's world without a database: a platform key, a trust list with one issuer, a status list
in which index 7 is revoked, and presentations of every kind a verifier must tell apart.

    w = world()
    w.present()                      # a valid driving-licence QR presentation at NOW
    w.write_cache(tmp_path)          # trust-list.jwt, platform.pub, status/<n>.jwt
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from pathlib import Path

import cbor2

from onecity.credentials import algorithms, cwt, jose, presentation, status_list, trust
from onecity.credentials.schemas import TrustedIssuer, TrustedKey
from tests.credentials import samples

NOW = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)
REVOKED_IDX = 7
VALID_IDX = 48213


@dataclass(frozen=True)
class World:
    platform: algorithms.KeyPair
    issuer_key: algorithms.KeyPair
    licence: samples.Issued
    revoked: samples.Issued
    trust_list: str
    status_jwt: str

    def present(self, cert: bytes | None = None, *, holder: algorithms.KeyPair | None = None,
                at: datetime = NOW) -> str:
        h = holder or self.licence.holder_key
        return presentation.present(cert if cert is not None else self.licence.full, holder_alg=h.alg,
                                    holder_private=h.private, holder_public=h.public, now=at)

    def present_revoked(self) -> str:
        h = self.revoked.holder_key
        return presentation.present(self.revoked.full, holder_alg=h.alg, holder_private=h.private,
                                    holder_public=h.public, now=NOW)

    def tampered(self) -> str:
        """The timestamp moved after the holder signed: every byte is signed, so this is 'tampered'."""
        items = cbor2.loads(cwt.decode_qr(self.present()))
        items[1] += 20
        return cwt.encode_qr(cbor2.dumps(items))

    def expired(self) -> str:
        issued = samples.issue_driving_licence(issuer_key=self.issuer_key,
                                               expires_at=int((NOW - timedelta(days=1)).timestamp()))
        h = issued.holder_key
        return presentation.present(issued.full, holder_alg=h.alg, holder_private=h.private,
                                    holder_public=h.public, now=NOW)

    def unknown_issuer(self) -> str:
        issued = samples.issue_driving_licence()
        h = issued.holder_key
        return presentation.present(issued.full, holder_alg=h.alg, holder_private=h.private,
                                    holder_public=h.public, now=NOW)

    def wrong_holder(self) -> str:
        return self.present(holder=algorithms.generate("EdDSA"))

    def stale(self) -> str:
        return self.present(at=NOW - timedelta(seconds=presentation.MAX_AGE_S + 60))

    def write_cache(self, directory: Path, *, with_status: bool = True) -> Path:
        directory.mkdir(parents=True, exist_ok=True)
        (directory / "trust-list.jwt").write_text(self.trust_list)
        (directory / "platform.pub").write_text(base64.b64encode(self.platform.public).decode())
        if with_status:
            (directory / "status").mkdir(exist_ok=True)
            (directory / "status" / "bj-jgj-3.jwt").write_text(self.status_jwt)
        return directory


def status_token(issuer_key: algorithms.KeyPair, *, revoked: tuple[int, ...] = (REVOKED_IDX,),
                 at: datetime = NOW, ttl: int = 3600) -> str:
    lst = status_list.StatusList.new(65536)
    for i in revoked:
        lst.set(i, 1)
    return status_list.sign_jwt(lst, key=jose.signing_key("EdDSA", issuer_key.private), sub=samples.STATUS_URI,
                                iat=at, exp=at + timedelta(days=1), ttl=ttl,
                                kid=algorithms.key_id("EdDSA", issuer_key.public), iss=samples.ISSUER_ID)


@lru_cache
def world() -> World:
    return world_at(NOW)


def world_at(now: datetime) -> World:
    """A world whose trust list and status list were signed at `now` (for a subprocess on the real clock)."""
    platform = algorithms.generate("EdDSA")
    ik = algorithms.generate("EdDSA")
    licence = samples.issue_driving_licence(issuer_key=ik, status_idx=VALID_IDX)
    revoked = samples.issue_driving_licence(issuer_key=ik, status_idx=REVOKED_IDX)
    issuer = TrustedIssuer(issuer_id=samples.ISSUER_ID, org_id="org_bj_jgj", name="北京市公安局公安交通管理局",
                           region="110000",
                           keys=(TrustedKey(kid=licence.kid, alg="EdDSA", public_key=ik.public, status="active",
                                            not_before=datetime(2026, 1, 1, tzinfo=UTC), not_after=None),))
    text = trust.sign_trust_list(scope="110000", name="北京市", issuers=[issuer], recognised=[], issued_at=now,
                                 expires_at=now + timedelta(days=7), platform_private=platform.private)
    return World(platform, ik, licence, revoked, text, status_token(ik, at=now))
