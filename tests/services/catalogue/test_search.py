"""Search in Chinese and English on both databases (PostgreSQL: the GIN full-text index)."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from onecity.db import is_postgres
from onecity.services.catalogue import service
from onecity.services.catalogue.service import segment
from tests.identity.orgs.factories import make_org
from tests.services.catalogue.factories import make_item


@pytest.fixture
def catalogue(session: Session) -> None:
    hpf = make_org(session, kind="agency", name="深圳市住房公积金管理中心")
    police = make_org(session, kind="agency", name="深圳市公安局交通警察支队")
    make_item(session, hpf, code="hpf.withdraw.rent", category="provident",
              name=("住房公积金租房提取", "Housing provident fund withdrawal for rent"),
              description=("按月提取住房公积金支付房租。", "Withdraw provident fund monthly to pay rent."),
              keywords=["租房", "提取公积金"])
    make_item(session, hpf, code="hpf.balance", category="provident",
              name=("住房公积金账户查询", "Provident fund balance"),
              description=("查询缴存余额和明细。", "Balance and contribution history."))
    make_item(session, police, code="tp.licence.renew", category="traffic",
              name=("机动车驾驶证期满换证", "Driving licence renewal on expiry"),
              description=("驾驶证有效期满换领新证。", "Renew a driving licence that expires."))
    make_item(session, police, code="tp.licence.replace", category="traffic",
              name=("机动车驾驶证遗失补证", "Replacement of a lost driving licence"),
              description=("驾驶证遗失后补领。", "Replace a lost licence."))
    make_item(session, police, code="tp.licence.draft", category="traffic", publish=False,
              name=("驾驶证草稿事项", "Draft driving licence service"),
              description=("未发布。", "Not published."))
    # the same kind of service, published only in another city
    make_item(session, hpf, code="gz.hpf.withdraw", city_code="440100", category="provident",
              name=("广州住房公积金提取", "Guangzhou provident fund withdrawal"),
              description=("广州。", "Guangzhou."))
    session.flush()


def codes(session: Session, q: str, city_code: str | None = None) -> list[str]:
    return [i.code for i in service.search(session, q=q, city_code=city_code)]


@pytest.mark.usefixtures("catalogue")
def test_chinese_query_finds_the_provident_withdrawal(session: Session) -> None:
    assert codes(session, "公积金提取") == ["hpf.withdraw.rent"]
    assert codes(session, "提取公积金") == ["hpf.withdraw.rent"]
    assert sorted(codes(session, "公积金")) == ["hpf.balance", "hpf.withdraw.rent"]


@pytest.mark.usefixtures("catalogue")
def test_english_and_chinese_find_the_licence_items_and_not_drafts(session: Session) -> None:
    assert sorted(codes(session, "driving licence")) == ["tp.licence.renew", "tp.licence.replace"]
    assert sorted(codes(session, "Driving LICENCE")) == ["tp.licence.renew", "tp.licence.replace"]
    assert sorted(codes(session, "驾驶证")) == ["tp.licence.renew", "tp.licence.replace"]
    assert codes(session, "驾驶证补证") == ["tp.licence.replace"]


@pytest.mark.usefixtures("catalogue")
def test_nonsense_and_empty_find_nothing(session: Session) -> None:
    assert codes(session, "xyzzy plugh") == []
    assert codes(session, "火星签证") == []
    assert codes(session, "") == []
    assert codes(session, "  !!! ") == []
    assert codes(session, "driving or xyzzy") == []  # "or" is a word here, not an operator


@pytest.mark.usefixtures("catalogue")
def test_per_city(session: Session) -> None:
    assert "gz.hpf.withdraw" not in codes(session, "公积金")
    assert codes(session, "公积金提取", city_code="440100") == ["gz.hpf.withdraw"]


@pytest.mark.usefixtures("catalogue")
def test_popularity_breaks_ties(session: Session) -> None:
    for _ in range(3):
        service.count_use(session, code="tp.licence.replace")
    assert codes(session, "driving licence")[0] == "tp.licence.replace"


def test_too_long_query_is_refused(session: Session) -> None:
    with pytest.raises(service.SearchQueryInvalid):
        service.search(session, q="公" * 101)


@pytest.mark.usefixtures("catalogue")
def test_postgres_uses_the_gin_index(session: Session) -> None:
    if not is_postgres(session):
        pytest.skip("PostgreSQL only: SQLite matches the words without a full-text index")
    session.execute(text("SET LOCAL enable_seqscan = off"))
    plan = "\n".join(r[0] for r in session.execute(text(
        "EXPLAIN SELECT id FROM svc_items WHERE to_tsvector('simple', search_text) @@ "
        "websearch_to_tsquery('simple', '公积金 提取')")))
    assert "ix_svc_items_search" in plan, plan


def test_segmentation() -> None:
    assert segment.words("公积金提取") == ["公积", "积金", "公积金", "提取"]
    assert segment.words("Driving-Licence 驾驶证") == ["driving", "licence", "驾驶", "驾驶证"]
    assert segment.words("!!! ...") == []
    assert segment.document("提取 提取 Tax tax") == "提取 tax"
