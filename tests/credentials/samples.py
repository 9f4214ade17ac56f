"""A realistic electronic driving licence (photo-less) and its purpose views, for tests and the bench.

Field keys follow onecity/credentials/types/driving_licence.json (code 2). In China the licence number
(证号) is the holder's resident ID number, so the hotel view shows name + licence number.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

from onecity.credentials import algorithms, cwt

ISSUED_AT = int(datetime(2026, 3, 2, 9, 30, tzinfo=UTC).timestamp())
EXPIRES_AT = int(datetime(2032, 3, 2, 16, 0, tzinfo=UTC).timestamp())  # end of valid_until, Beijing
DRIVING_LICENCE_CODE = 2
ISSUER_ID = "iss_01JBJTMB7Q4XK2N9V3W8C5D6EF"  # 北京市公安局公安交通管理局
STATUS_URI = "https://onecity.example.cn/sl/bj-jgj/3"

DRIVING_LICENCE = {
    1: "欧阳建国",  # name
    2: "男",  # gender
    3: "中国",  # nationality
    4: "北京市朝阳区建国路88号院3号楼2单元1101室",  # address
    5: date(1988, 7, 14),  # birth date
    6: date(2012, 5, 20),  # first issue date
    7: "110105198807142316",  # licence number (= resident ID number)
    8: "C1",  # class
    9: date(2026, 3, 2),  # valid from
    10: date(2032, 3, 2),  # valid until
    11: "北京市公安局公安交通管理局",  # issuing authority
}  # the file number (12, 档案编号) is left out: not among the fields the issue lists
HOTEL_FIELDS = (1, 7)
TRAFFIC_POLICE_FIELDS = (1, 7, 8, 9, 10)
FIELD_NAMES = {
    DRIVING_LICENCE_CODE: {
        1: "name", 2: "gender", 3: "nationality", 4: "address", 5: "birth_date", 6: "first_issue_date",
        7: "licence_number", 8: "licence_class", 9: "valid_from", 10: "valid_until",
        11: "issuing_authority", 12: "file_number",
    }
}  # fmt: skip


@dataclass(frozen=True)
class Issued:
    issuer_key: algorithms.KeyPair
    kid: str
    holder_key: algorithms.KeyPair
    full: bytes
    hotel: bytes
    traffic_police: bytes


class DictTrust:
    """The smallest trust store: kid -> (issuer id, alg, public key)."""

    def __init__(self, *keys: tuple[str, algorithms.KeyPair]) -> None:
        self.keys = {algorithms.key_id(k.alg, k.public): (iss, k.alg, k.public) for iss, k in keys}

    def lookup(self, kid: str) -> tuple[str, str, bytes] | None:
        return self.keys.get(kid)


class DictStatus:
    def __init__(self, revoked: set[tuple[str, int]] | None = None, known: bool = True) -> None:
        self.revoked = revoked or set()
        self.known = known

    def is_revoked(self, uri: str, idx: int) -> bool | None:
        if not self.known:
            return None
        return (uri, idx) in self.revoked


def issue_driving_licence(
    issuer_alg: str = "EdDSA",
    holder_alg: str = "EdDSA",
    *,
    issuer_key: algorithms.KeyPair | None = None,
    issuer_id: str = ISSUER_ID,
    carry_iss: bool = False,
    claims: dict[int, object] | None = None,
    issued_at: int = ISSUED_AT,
    expires_at: int | None = EXPIRES_AT,
    not_before: int | None = None,
    status_idx: int = 48213,
) -> Issued:
    ik = issuer_key or algorithms.generate(issuer_alg)
    hk = algorithms.generate(holder_alg)
    kid = algorithms.key_id(ik.alg, ik.public)
    cert = cwt.Certificate(
        issuer=issuer_id if carry_iss else None,
        type_id=DRIVING_LICENCE_CODE,
        claims=claims if claims is not None else DRIVING_LICENCE,
        holder_alg=hk.alg,
        holder_public=hk.public,
        issued_at=issued_at,
        expires_at=expires_at,
        not_before=not_before,
        status_uri=STATUS_URI,
        status_idx=status_idx,
    )
    full = cwt.sign_certificate(cert, alg=ik.alg, private=ik.private, kid=kid, public=ik.public)

    def view(name: str, fields: tuple[int, ...]) -> bytes:
        return cwt.sign_view(
            full, view=name, fields=fields, alg=ik.alg, private=ik.private, kid=kid, public=ik.public
        )

    return Issued(
        ik, kid, hk, full, view("hotel", HOTEL_FIELDS), view("traffic_police", TRAFFIC_POLICE_FIELDS)
    )
