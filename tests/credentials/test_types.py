"""Certificate types as data: the 12 shipped types load and hold together; claims are checked."""

from __future__ import annotations

import copy
import json
from importlib import resources

import pytest

from onecity.credentials import types
from onecity.credentials.types import ClaimsInvalid, TypeDefinitionInvalid, UnknownType

REQUIRED = {
    "resident_id", "driving_licence", "vehicle_licence", "marriage_certificate", "divorce_certificate",
    "social_security_card", "medical_insurance_card", "student_card", "household_register", "business_licence",
    "disability_certificate", "professional_qualification",
}

LICENCE = {
    "name": " 欧阳建国 ", "gender": "男", "nationality": "中国", "address": "北京市朝阳区建国路88号",
    "birth_date": "1988-07-14", "first_issue_date": "2012-05-20", "licence_number": "110105198807142316",
    "licence_class": "C1", "valid_from": "2026-03-02", "valid_until": "2032-03-02",
    "issuing_authority": "北京市公安局公安交通管理局", "file_number": "110100123456",
}


def test_the_twelve_types_load_with_unique_ids_and_codes():
    loaded = types.load_types()
    assert REQUIRED <= set(loaded)
    codes = [t.code for t in loaded.values()]
    assert len(codes) == len(set(codes))
    for t in loaded.values():
        assert t.vct == f"urn:onecity:credential:{t.id}"
        assert t.always_shown, f"{t.id} shows nothing always"
        assert t.views, f"{t.id} has no purpose view"
        for view in t.views.values():
            assert set(view.fields) <= {f.name for f in t.fields}
    assert loaded["business_licence"].holder == "organisation"


def test_purpose_views_of_the_driving_licence_and_id_card():
    dl = types.get_type("driving_licence")
    assert dl.code == 2
    assert dl.views["traffic_police"].fields == ("name", "licence_number", "licence_class", "valid_from",
                                                   "valid_until")
    assert dl.views["hotel"].fields == ("name", "licence_number")
    assert types.get_type("resident_id").views["hotel"].fields == ("name", "id_number")
    assert dl.field("licence_number").selectively_disclosable and dl.field("name").always_shown
    assert dl.validity.until_field == "valid_until"
    assert types.type_by_code(2) is dl


def test_unknown_types_are_refused():
    with pytest.raises(UnknownType):
        types.get_type("fishing_licence")
    with pytest.raises(UnknownType):
        types.type_by_code(999)


def test_claims_are_normalised_and_keyed():
    dl = types.get_type("driving_licence")
    claims = types.validate_claims(dl, LICENCE)
    assert claims["name"] == "欧阳建国"  # trimmed
    keyed = types.to_claim_keys(dl, claims)
    assert keyed[1] == "欧阳建国" and keyed[8] == "C1" and keyed[10] == "2032-03-02"
    assert types.from_claim_keys(dl, keyed) == claims


def test_every_problem_is_reported_at_once():
    dl = types.get_type("driving_licence")
    bad = {**LICENCE, "gender": "X", "valid_until": "2032-02-30", "shoe_size": "42"}
    del bad["name"]
    with pytest.raises(ClaimsInvalid) as e:
        types.validate_claims(dl, bad)
    assert e.value.extra["fields"] == ["gender", "name", "shoe_size", "valid_until"]


def test_identity_numbers_are_checked():
    rid = types.get_type("resident_id")
    base = {"name": "张三", "gender": "女", "ethnicity": "汉", "birth_date": "1949-12-31", "address": "北京市",
            "issuing_authority": "北京市公安局西城分局", "valid_from": "2020-01-01"}
    # GB 11643's own example: 11010519491231002X (check = "10X98765432"[Σ mod 11]).
    ok = types.validate_claims(rid, {**base, "id_number": "11010519491231002x"})
    assert ok["id_number"] == "11010519491231002X"
    assert "valid_until" not in ok  # empty: long-term
    with pytest.raises(ClaimsInvalid, match="id_number"):
        types.validate_claims(rid, {**base, "id_number": "110105194912310021"})
    bl = types.get_type("business_licence")
    org = {"name": "深圳市某某科技有限公司", "entity_type": "有限责任公司", "legal_representative": "李四",
           "established_date": "2015-06-01", "address": "深圳市南山区", "business_scope": "软件开发",
           "registration_authority": "深圳市市场监督管理局", "issue_date": "2015-06-01",
           "registered_capital": 1000000}
    assert types.validate_claims(bl, {**org, "uscc": "91350100M000100Y43"})["uscc"] == "91350100M000100Y43"
    with pytest.raises(ClaimsInvalid, match="uscc"):
        types.validate_claims(bl, {**org, "uscc": "91350100M000100Y44"})
    with pytest.raises(ClaimsInvalid, match="registered_capital"):
        types.validate_claims(bl, {**org, "uscc": "91350100M000100Y43", "registered_capital": "1e6"})


def _definition(type_id: str) -> dict:
    return json.loads(resources.files("onecity.credentials.types").joinpath(f"{type_id}.json").read_text("utf-8"))


@pytest.mark.parametrize("breakage", [
    "duplicate_key", "unknown_view_field", "until_not_a_date", "enum_without_values", "extra_member", "bad_name",
])
def test_broken_definitions_are_refused(breakage):
    d = copy.deepcopy(_definition("driving_licence"))
    if breakage == "duplicate_key":
        d["fields"][1]["key"] = d["fields"][0]["key"]
    elif breakage == "unknown_view_field":
        d["views"]["hotel"]["fields"].append("photo")
    elif breakage == "until_not_a_date":
        d["validity"] = {"until_field": "name"}
    elif breakage == "enum_without_values":
        d["fields"][1]["values"] = []
    elif breakage == "extra_member":
        d["fields"][0]["shown"] = True
    elif breakage == "bad_name":
        d["fields"][0]["name"] = "Name"
    with pytest.raises(TypeDefinitionInvalid):
        types.parse_type(d, source="driving_licence.json")
    assert types.parse_type(_definition("driving_licence")) == types.get_type("driving_licence")
