"""Every module's message catalogue says the same things in both languages: the same keys, and in
each message the same {placeholders}, so a page never falls back to a key or loses a figure."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

import onecity

ROOT = Path(onecity.__file__).parent
CATALOGUES = sorted(p.parent for p in ROOT.glob("**/messages/zh-CN.json"))
PLACEHOLDER = re.compile(r"\{(\w+)\}")


def _load(folder: Path, lang: str) -> dict[str, str]:
    data = json.loads((folder / f"{lang}.json").read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def test_every_module_has_both_catalogues() -> None:
    assert len(CATALOGUES) >= 20
    assert sorted(p.parent for p in ROOT.glob("**/messages/en.json")) == CATALOGUES


@pytest.mark.parametrize("folder", CATALOGUES, ids=lambda p: str(p.relative_to(ROOT)))
def test_same_keys_and_placeholders(folder: Path) -> None:
    zh, en = _load(folder, "zh-CN"), _load(folder, "en")
    assert sorted(set(zh) ^ set(en)) == []
    differ = {k: (zh[k], en[k]) for k in zh
              if sorted(PLACEHOLDER.findall(zh[k])) != sorted(PLACEHOLDER.findall(en[k]))}
    assert differ == {}
