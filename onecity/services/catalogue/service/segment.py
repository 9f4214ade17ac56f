"""Turning Chinese and English text into search words (pure).

PostgreSQL has no Chinese parser, so text is cut into words with jieba's search mode (which also
emits the shorter words inside long ones: 公积金 → 公积, 积金, 公积金) when it is written, and a query
is cut the same way; English is lower-cased and split on anything that is not a letter or a digit.
The 'simple' text-search configuration then indexes the words as they are.
"""

from __future__ import annotations

import logging
import re
from functools import cache

_WORD = re.compile(r"[0-9a-z]+|[\u3400-\u9fff]+")
_CJK = re.compile(r"[\u3400-\u9fff]")
# Words of the domain jieba's general dictionary does not know (so they are not cut apart).
DOMAIN_WORDS = (
    "公积金", "住房公积金", "驾驶证", "行驶证", "户籍证明", "无犯罪记录证明", "营业执照", "社保卡",
    "医保", "医保卡", "居住证", "港澳通行证", "身份证", "出生医学证明", "结婚登记", "离婚登记",
    "个税", "个人所得税", "车船税", "残疾人证", "电费", "水费", "燃气费", "话费", "违章", "罚款",
    "退休", "失业金", "灵活就业", "职业技能", "技能补贴", "入学", "学位", "积分入户",
)


@cache
def _jieba() -> object:
    import jieba

    jieba.setLogLevel(logging.WARNING)
    for w in DOMAIN_WORDS:
        jieba.add_word(w)
    return jieba


def words(text: str) -> list[str]:
    """The search words of `text`, in order, without duplicates."""
    out: list[str] = []
    seen: set[str] = set()
    for chunk in _WORD.findall(text.lower()):
        parts = _cut(chunk) if _CJK.match(chunk) else [chunk]
        for p in parts:
            p = p.strip()
            if p and p not in seen:
                seen.add(p)
                out.append(p)
    return out


def _cut(chunk: str) -> list[str]:
    jieba = _jieba()
    return [w for w in jieba.cut_for_search(chunk) if w.strip()]  # type: ignore[attr-defined]


def document(*texts: str) -> str:
    """The `search_text` stored for an item."""
    return " ".join(words(" ".join(texts)))
