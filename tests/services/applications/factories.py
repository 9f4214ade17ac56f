"""Factories for applications tests, through the real services (orgs, credentials, catalogue).
They only flush: commit before the app must see the rows.

    agency = make_agency(session)                     # an agency that is a certificate issuer
    item = make_item(session, agency, workflow="review_one_step")
    p = person(session); give_social_security_card(session, p)
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from onecity.authz import Principal
from onecity.credentials import service as credentials
from onecity.identity.orgs.models import Org, Staff
from onecity.services.applications import service as apps
from onecity.services.catalogue import service as catalogue
from onecity.services.catalogue.schemas import ServiceItemIn, ServiceItemOut
from tests.identity.family.factories import Person, person
from tests.identity.orgs.factories import make_org, make_staff

ACTOR = "test:factory"
_SEQ = itertools.count(1)

FORM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["name", "qualification", "level", "years"],
    "properties": {
        "name": {"type": "string", "title": "姓名", "x-title-en": "Name", "minLength": 1},
        "card_number": {"type": "string", "title": "社会保障卡号", "x-title-en": "Social security card number"},
        "qualification": {"type": "string", "title": "职业（工种）", "x-title-en": "Occupation", "minLength": 2},
        "level": {"type": "string", "title": "等级", "x-title-en": "Level",
                  "enum": ["五级/初级工", "四级/中级工", "三级/高级工"]},
        "years": {"type": "integer", "title": "从业年限", "x-title-en": "Years of experience", "minimum": 0,
                  "maximum": 60},
        "exam_date": {"type": "string", "format": "date", "title": "考试日期", "x-title-en": "Exam date"},
        "agree": {"type": "boolean", "title": "承诺信息真实", "x-title-en": "I confirm the information is true"},
    },
    "additionalProperties": False,
}
GOOD_FORM: dict[str, Any] = {"name": "张三", "qualification": "电工", "level": "四级/中级工", "years": 5,
                             "exam_date": "2026-10-01", "agree": True}
ISSUE_QUALIFICATION: dict[str, Any] = {
    "effect": "issue_credential", "type_id": "professional_qualification",
    "claims": {"name": "$profile.name", "id_number": "$profile.id_number", "certificate_number": "$reference",
               "qualification": "$form.qualification", "level": "$form.level", "issue_date": "$today",
               "issuing_authority": "深圳市职业技能鉴定中心"},
}


@dataclass
class Agency:
    org: Org
    issuer_id: str

    @property
    def id(self) -> str:
        return self.org.public_id


def make_agency(session: Session) -> Agency:
    org = make_org(session, kind="agency", name=f"测试职业技能鉴定中心{next(_SEQ)}")
    issuer = credentials.register_issuer(session, org_id=org.public_id, name=org.name_zh, region="440300",
                                         alg="EdDSA", actor=ACTOR)
    session.flush()
    return Agency(org=org, issuer_id=issuer.issuer_id)


def staff_of(session: Session, agency: Agency, roles: tuple[str, ...] = ("reviewer",)) -> tuple[Staff, Principal]:
    s = make_staff(session, agency.org, roles=roles)
    return s, Principal(kind="staff", id=s.public_id, org_id=agency.id, roles=frozenset(roles))


def citizen_principal(p: Person) -> Principal:
    return Principal(kind="citizen", id=p.id, real_name_verified=True)


def make_item(session: Session, agency: Agency, *, workflow: str = "review_one_step", code: str | None = None,
              **over: Any) -> ServiceItemOut:
    code = code or f"test.qualification.{next(_SEQ)}"
    fields: dict[str, Any] = {
        "code": code, "agency_org_id": agency.id, "name": {"zh": "职业技能等级认定", "en": "Skill level certification"},
        "category": "employment", "description": {"zh": "申领职业技能等级证书", "en": "Apply for a skill certificate"},
        "time_limit_days": 5, "trips": 0, "online": True, "entry": "form", "form_schema": FORM_SCHEMA,
        "prefill": {"name": "social_security_card.name", "card_number": "social_security_card.card_number"},
        "workflow": workflow, "on_approve": [ISSUE_QUALIFICATION],
        "materials": [{"kind": "certificate", "key": "ssc", "type_id": "social_security_card",
                       "name": {"zh": "社会保障卡", "en": "Social security card"}},
                      {"kind": "upload", "key": "photo", "accept": ["image/jpeg", "image/png"], "max_bytes": 200_000,
                       "required": False, "name": {"zh": "证件照", "en": "Photo"}}],
    }
    fields.update(over)
    catalogue.create_item(session, item=ServiceItemIn.model_validate(fields), actor=ACTOR)
    item = catalogue.publish_item(session, code=code, actor=ACTOR)
    session.flush()
    return item


def give_social_security_card(session: Session, p: Person, *, issuer_id: str | None = None) -> str:
    """The person's social security card, issued by an HRSS issuer (made on the first call)."""
    if issuer_id is None:
        org = make_org(session, kind="agency", name=f"测试人社局{next(_SEQ)}")
        issuer_id = credentials.register_issuer(session, org_id=org.public_id, name=org.name_zh, region="440300",
                                                alg="EdDSA", actor=ACTOR).issuer_id
    cred = credentials.issue_credential(session, issuer_id=issuer_id, type_id="social_security_card", claims={
        "name": p.name, "id_number": p.id_number, "card_number": "S44030099887A", "issue_date": "2020-01-01",
        "valid_until": "2030-01-01", "issuing_authority": "深圳市人力资源和社会保障局"}, citizen_id=p.id, actor=ACTOR)
    session.flush()
    return cred.credential_id


def applicant(session: Session, *, with_card: bool = True) -> Person:
    p = person(session)
    if with_card:
        give_social_security_card(session, p)
    return p


def submit_as(session: Session, item: ServiceItemOut, p: Person, form: dict[str, Any] | None = None,
              **kw: Any) -> Any:
    """`p` submits `item` through the service (GOOD_FORM unless `form`), as themselves."""
    return apps.submit(session, citizen_id=p.id, service_code=item.code, form=dict(form or GOOD_FORM),
                       actor=citizen_principal(p), **kw)


def claimed(session: Session, **item_kw: Any) -> tuple[Agency, ServiceItemOut, Person, Principal, Any]:
    """An agency's item (`item_kw` as for make_item), an applicant who submitted it and a reviewer who
    claimed it: (agency, item, applicant, reviewer, the submitted application)."""
    agency = make_agency(session)
    item = make_item(session, agency, **item_kw)
    p = applicant(session)
    _s, reviewer = staff_of(session, agency)
    a = submit_as(session, item, p)
    apps.act(session, application_id=a.id, action="claim", principal=reviewer)
    return agency, item, p, reviewer, a


def png_bytes(extra: int = 0) -> bytes:
    """A real (tiny) PNG, optionally padded past its end (still sniffed as PNG)."""
    import base64

    png = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==")
    return png + b"\0" * extra


PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
