"""Who lives and works in the demo city: the demo citizens (a family and a newcomer) with known
logins, and the organisations of every kind with their console logins. Pure data and pure rules.

Unified social credit codes (统一社会信用代码, GB 32100) are made valid twice over: the organisation
code inside them (positions 9-17, 组织机构代码, GB 11714) carries its own check character, and the
whole code its GB 32100 check character (`onecity.identity.orgs.uscc`). Codes start with the
registering authority and type: 11 government body (机关), 12 public institution (事业单位), 91
enterprise (企业); then 440300, the city.

Glossary: 演示市民 demo citizen · 亲情账户 family link · 机构 organisation · 统一社会信用代码 unified
social credit code (USCC) · 组织机构代码 organisation code · 控制台 console.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date
from functools import cached_property

from onecity.identity.orgs import uscc
from onecity.identity.resident_id import make_id_number

CITIZEN_PASSWORD = "demo1234"  # noqa: S105 - the published demo password
STAFF_PASSWORD = "onecity-demo"  # noqa: S105 - the published demo password
CITY_CODE = "440300"

# --- citizens -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DemoCitizen:
    key: str
    name: str
    sex: str
    birth_date: date
    region_code: str
    order_seq: int  # numbers this person among those of their sex born that day there (顺序码)
    mobile: str
    role: str  # what the login is for, printed beside it
    verified: bool = True
    photo: bool = False  # the registry holds data/reference.jpg as their photo

    @cached_property
    def id_number(self) -> str:
        return make_id_number(self.region_code, self.birth_date, self.order_seq, self.sex)


MAIN = DemoCitizen("main", "王芳", "F", date(1990, 5, 12), "440304", 37, "13800000001",
                   "verified; registry photo = the astronaut portrait, for face verification", photo=True)
SPOUSE = DemoCitizen("spouse", "张伟", "M", date(1987, 9, 3), "420106", 118, "13800000002",
                     "王芳's husband, verified, linked to her as spouse")
CHILD = DemoCitizen("child", "张子涵", "F", date(2014, 3, 21), "440305", 12, "13800000003",
                    "their daughter, a minor, verified; not linked yet (王芳 adds her under 亲情账户 after face verification)")
PARENT = DemoCitizen("parent", "王建国", "M", date(1958, 11, 8), "410105", 203, "13800000004",
                     "王芳's father, verified, linked to her as parent")
NEWCOMER = DemoCitizen("newcomer", "李娜", "F", date(1995, 7, 19), "440306", 64, "13800000005",
                       "NOT verified: try real-name verification", verified=False)
CITIZENS: tuple[DemoCitizen, ...] = (MAIN, SPOUSE, CHILD, PARENT, NEWCOMER)

ALL_SCOPES = ("pay_medical", "show_certificates", "view_bills", "pay_bills")


@dataclass(frozen=True)
class DemoLink:
    inviter: DemoCitizen
    invitee: DemoCitizen
    relation: str  # what the invitee is to the inviter
    scopes: tuple[str, ...]  # what the inviter may do for the invitee
    offered_scopes: tuple[str, ...]  # what the invitee may do for the inviter


LINKS: tuple[DemoLink, ...] = (
    DemoLink(MAIN, SPOUSE, "spouse", ALL_SCOPES, ALL_SCOPES),
    DemoLink(MAIN, PARENT, "parent", ALL_SCOPES, ("view_bills",)),
)


# --- organisations --------------------------------------------------------------------------------

_GB11714_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
_GB11714_VALUES = {c: i for i, c in enumerate("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ")}


def org_code_check(body8: str) -> str:
    """GB 11714 check character of an 8-character organisation code body: 11 − (Σ value·weight mod
    11), with 10 written X and 11 written 0 (digits are worth themselves, A-Z 10-35)."""
    if len(body8) != 8 or any(c not in _GB11714_VALUES for c in body8):
        raise ValueError("need 8 characters 0-9 A-Z")
    c = 11 - sum(_GB11714_VALUES[ch] * w for ch, w in zip(body8, _GB11714_WEIGHTS, strict=True)) % 11
    return "X" if c == 10 else "0" if c == 11 else str(c)


def demo_uscc(authority_type: str, name_zh: str, region: str = CITY_CODE) -> str:
    """A valid, stable USCC for a demo organisation: its organisation code body is 8 digits drawn
    from the SHA-256 of its name."""
    body = f"{int.from_bytes(hashlib.sha256(name_zh.encode()).digest()[:8], 'big') % 10**8:08d}"
    return uscc.complete(authority_type + region + body + org_code_check(body))


@dataclass(frozen=True)
class DemoOrg:
    kind: str
    name_zh: str
    name_en: str
    authority_type: str  # the USCC's first two characters
    username: str  # the owner's console login
    staff_name: str  # the owner's display name

    @cached_property
    def uscc(self) -> str:
        return demo_uscc(self.authority_type, self.name_zh)


GOV, INSTITUTION, ENTERPRISE = "11", "12", "91"
ORGS: tuple[DemoOrg, ...] = (
    DemoOrg("city", "深圳市政务服务数据管理局", "Shenzhen Government Services and Data Administration", GOV,
            "city-admin", "陈建华"),
    DemoOrg("merchant", "鹏城便利店", "Pengcheng Convenience Store", ENTERPRISE, "pengcheng-store", "林晓东"),
    DemoOrg("merchant", "海岸咖啡", "Coastline Coffee", ENTERPRISE, "coast-cafe", "黄嘉怡"),
    DemoOrg("merchant", "莲花山书店", "Lianhuashan Bookshop", ENTERPRISE, "lotus-books", "周文博"),
    DemoOrg("hospital", "鹏城市第一人民医院", "Pengcheng First People's Hospital", INSTITUTION,
            "pc-hospital", "刘海涛"),
    DemoOrg("hospital", "福田区妇幼保健院", "Futian Maternal and Child Health Hospital", INSTITUTION,
            "futian-mch", "吴慧敏"),
    DemoOrg("hospital", "南山区中医院", "Nanshan Hospital of Traditional Chinese Medicine", INSTITUTION,
            "nanshan-tcm", "郑国平"),
    DemoOrg("pharmacy", "鹏城大药房", "Pengcheng Pharmacy", ENTERPRISE, "pc-pharmacy", "何丽娟"),
    DemoOrg("pharmacy", "康宁药店福田店", "Kangning Pharmacy (Futian)", ENTERPRISE, "kangning-pharmacy", "许志强"),
    DemoOrg("agency", "深圳市公安局交通警察支队", "Shenzhen Traffic Police", GOV, "traffic-police", "赵卫东"),
    DemoOrg("agency", "深圳市住房公积金管理中心", "Shenzhen Housing Provident Fund Centre", INSTITUTION,
            "housing-fund", "孙雅琴"),
    DemoOrg("agency", "深圳市人力资源和社会保障局", "Shenzhen Human Resources and Social Security Bureau", GOV,
            "hrss", "马俊杰"),
    DemoOrg("agency", "国家税务总局深圳市税务局", "Shenzhen Tax Service", GOV, "tax-bureau", "杨淑芬"),
    DemoOrg("agency", "深圳市医疗保障局", "Shenzhen Healthcare Security Administration", GOV,
            "medical-security", "朱海燕"),
    DemoOrg("agency", "深圳市公安局", "Shenzhen Public Security Bureau", GOV, "public-security", "邓志刚"),
    DemoOrg("agency", "深圳市民政局", "Shenzhen Civil Affairs Bureau", GOV, "civil-affairs", "冯秀兰"),
    DemoOrg("agency", "深圳市教育局", "Shenzhen Education Bureau", GOV, "education", "曹思远"),
    DemoOrg("agency", "深圳市市场监督管理局", "Shenzhen Administration for Market Regulation", GOV,
            "market-regulation", "彭振宇"),
    DemoOrg("agency", "深圳市残疾人联合会", "Shenzhen Disabled Persons' Federation", GOV, "disabled-federation",
            "蒋慧琳"),
    DemoOrg("agency", "深圳市职业技能鉴定指导中心", "Shenzhen Vocational Skills Testing Centre", INSTITUTION,
            "skills-centre", "谢明辉"),
    DemoOrg("biller", "深圳市水务集团", "Shenzhen Water Group", ENTERPRISE, "water-group", "胡振华"),
    DemoOrg("biller", "深圳供电局", "Shenzhen Power Supply Bureau", ENTERPRISE, "power-supply", "郭立新"),
    DemoOrg("biller", "深圳市燃气集团", "Shenzhen Gas Group", ENTERPRISE, "gas-group", "罗美玲"),
    DemoOrg("biller", "中国移动通信集团广东有限公司深圳分公司", "China Mobile Guangdong, Shenzhen Branch", ENTERPRISE,
            "china-mobile", "钟晓峰"),
    DemoOrg("transit", "鹏城地铁", "Pengcheng Metro", ENTERPRISE, "metro", "梁宏伟"),
    DemoOrg("transit", "鹏城公交", "Pengcheng Bus", ENTERPRISE, "bus-group", "宋晓光"),
    DemoOrg("insurer", "鹏安健康保险股份有限公司", "Peng'an Health Insurance", ENTERPRISE, "pengan-health",
            "唐静怡"),
    DemoOrg("insurer", "南海人寿保险深圳分公司", "Nanhai Life Insurance, Shenzhen Branch", ENTERPRISE,
            "nanhai-life", "韩志明"),
)


# --- certificate issuers (电子证照签发机构) ------------------------------------------------------------


@dataclass(frozen=True)
class DemoIssuer:
    username: str  # the agency's owner login, which is also its issuer console login
    alg: str  # EdDSA (Ed25519) or SM2 (national algorithms: the QR/CWT format only)
    type_ids: tuple[str, ...]  # the certificate types it issues in the demo city


ISSUERS: tuple[DemoIssuer, ...] = (
    DemoIssuer("public-security", "EdDSA", ("resident_id", "household_register")),
    DemoIssuer("traffic-police", "EdDSA", ("driving_licence", "vehicle_licence")),
    DemoIssuer("civil-affairs", "EdDSA", ("marriage_certificate", "divorce_certificate")),
    DemoIssuer("hrss", "EdDSA", ("social_security_card",)),
    DemoIssuer("medical-security", "SM2", ("medical_insurance_card",)),  # 医保: national algorithms
    DemoIssuer("education", "EdDSA", ("student_card",)),
    DemoIssuer("market-regulation", "EdDSA", ("business_licence",)),
    DemoIssuer("disabled-federation", "EdDSA", ("disability_certificate",)),
    DemoIssuer("skills-centre", "EdDSA", ("professional_qualification",)),
)
