"""The measures page: a share of nothing reads "—", a processing time its leading non-zero units
("不足1分钟" under a minute), in Chinese by default; the header links each console page once."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest
from sqlalchemy.orm import Session

from onecity.services.applications import service as applications
from onecity.services.measures.pages import duration, percent
from onecity.services.measures.service import share
from tests.identity.factories import make_citizen
from tests.identity.orgs.factories import make_admin, make_org
from tests.services.catalogue.factories import make_item
from tests.services.catalogue.test_pages import by_testid, console


@pytest.mark.parametrize(("seconds", "expected"), [
    (0, ("under_minute", {})),
    (59, ("under_minute", {})),
    (60, ("min", {"m": 1})),
    (3599, ("min", {"m": 59})),  # 59 min 59 s, rounded down
    (3600, ("h", {"h": 1})),  # 1 h 0 min: the zero minutes dropped
    (2 * 3600 + 5 * 60 + 30, ("h_min", {"h": 2, "m": 5})),
    (86400 + 59 * 60, ("d", {"d": 1})),  # 1 d 0 h 59 min: minutes are below the precision shown
    (3 * 86400 + 4 * 3600 + 5 * 60, ("d_h", {"d": 3, "h": 4})),
])
def test_duration_shows_the_leading_non_zero_units(seconds: int, expected: tuple[str, dict[str, int]]) -> None:
    assert duration(seconds) == expected


def test_percent_of_nothing_is_none() -> None:
    assert percent(share(0, 0)) is None
    assert percent(share(1, 3)) == "33.3%"  # 1 * 1000 // 3 = 333 ‰
    assert percent(share(3, 3)) == "100.0%"


def _cells(page: str, testid: str) -> list[str]:
    return [html.unescape(re.sub(r"<[^>]+>", "", c)).strip()
            for c in re.findall(rf'<td data-testid="{testid}"[^>]*>(.*?)</td>', page, flags=re.S)]


def test_page_reads_naturally_in_chinese_and_english(app: Any, session: Session) -> None:
    agency = make_org(session, kind="agency")
    make_item(session, agency, code="p.instant", workflow="instant", trips=0)
    admin = make_admin(session)
    cid = make_citizen(session).public_id
    session.commit()
    c = console(app, admin.username)
    empty = c.get("/console/services/measures").text
    # nothing completed yet: the shares of completed applications are "—", not "0.0% (0/0)"
    assert _cells(empty, "m-completed-zero") == ["—", "—"] and "0/0" not in empty
    assert _cells(empty, "m-average") == ["—", "—"]
    assert "平均办理时长" in empty and "部门" in empty  # zh-CN by default
    applications.submit(session, citizen_id=cid, service_code="p.instant", form={"name": "张三", "purpose": "测试"}, actor=cid)
    session.commit()
    zh = c.get("/console/services/measures").text
    assert _cells(zh, "m-average") == ["不足1分钟", "不足1分钟"]  # approved at once: 0 s
    assert _cells(zh, "m-completed-zero")[0].startswith("100.0%")
    en = c.get("/console/services/measures?lang=en").text
    assert _cells(en, "m-average") == ["< 1 min", "< 1 min"] and "Average processing time" in en


def test_console_links_appear_once(app: Any, session: Session) -> None:
    admin = make_admin(session)
    session.commit()
    c = console(app, admin.username)
    for page in ("/console/services/measures", "/console/services/catalogue"):
        text = c.get(page).text
        assert len(by_testid(text, "nav-services-measures")) == 1, page
        assert len(by_testid(text, "nav-services-catalogue")) == 1, page
