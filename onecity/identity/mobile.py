"""Mainland China mobile numbers (手机号): 11 digits, `1[3-9]` then nine more.

A leading +86 / 0086 / 86 country code, spaces and hyphens are accepted and removed; the stored and
compared form is the bare 11 digits.
"""

from __future__ import annotations

import re
import unicodedata

from onecity.errors import DomainError

_MOBILE = re.compile(r"^1[3-9][0-9]{9}$")
_PREFIX = re.compile(r"^(?:\+86|0086|86)(?=1[3-9][0-9]{9}$)")


class InvalidMobile(DomainError):
    code = "mobile_invalid"
    status = 422
    message_zh = "请输入有效的11位手机号码"
    message_en = "Enter a valid 11-digit mainland mobile number"


def parse_mobile(text: str) -> str:
    """The bare 11-digit number, or `InvalidMobile`."""
    if not isinstance(text, str) or len(text) > 32:
        raise InvalidMobile()
    s = unicodedata.normalize("NFKC", text).strip().replace(" ", "").replace("-", "")
    s = _PREFIX.sub("", s)
    if not _MOBILE.match(s):
        raise InvalidMobile()
    return s


def is_valid_mobile(text: str) -> bool:
    try:
        parse_mobile(text)
    except InvalidMobile:
        return False
    return True
