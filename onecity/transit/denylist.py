"""The deny-list a gate holds (黑名单): riders in arrears (欠费) by rider reference, and lost or
replaced phones by device-certificate serial. The platform pushes it versioned: either whole
(`replace`) or as a delta from the version the gate has (`apply_delta`); a delta from another version
is refused (the gate then asks for the whole list), so a gate never ends up with a mix. A delta whose
from and to are equal (what the platform answers when nothing changed since the gate's version) is a
no-op, provided it adds and removes nothing.

JSON forms: whole `{"version": 7, "riders": ["<16 hex>", …], "serials": [123, …]}`; delta
`{"from_version": 7, "to_version": 8, "add": {"riders": […], "serials": […]}, "remove": {…}}`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from onecity.errors import DomainError


class DenyListError(DomainError):
    code = "deny_list_invalid"
    status = 422
    message_zh = "黑名单数据无效"
    message_en = "The deny-list update is not valid"


class StaleDenyListDelta(DomainError):
    code = "deny_list_stale_delta"
    status = 409
    message_zh = "黑名单增量版本不连续，需要全量更新"
    message_en = "The deny-list delta does not start from this gate's version; send the whole list"


def _riders(items: Any) -> set[bytes]:
    try:
        out = {bytes.fromhex(x) for x in items}
    except (TypeError, ValueError) as exc:
        raise DenyListError("rider references are hex strings") from exc
    if any(len(r) != 8 for r in out):
        raise DenyListError("a rider reference is 8 bytes")
    return out


def _serials(items: Any) -> set[int]:
    if not isinstance(items, list) or not all(isinstance(x, int) and not isinstance(x, bool) for x in items):
        raise DenyListError("serials are integers")
    return set(items)


@dataclass
class DenyList:
    version: int = 0
    riders: set[bytes] = field(default_factory=set)
    serials: set[int] = field(default_factory=set)

    def denies(self, *, rider_ref: bytes, serial: int) -> str | None:
        """Why a rider/device is denied ("rider" or "device"), or None."""
        if rider_ref in self.riders:
            return "rider"
        if serial in self.serials:
            return "device"
        return None

    def replace(self, doc: dict[str, Any]) -> None:
        try:
            version = int(doc["version"])
            riders, serials = _riders(doc.get("riders", [])), _serials(doc.get("serials", []))
        except (KeyError, TypeError, ValueError) as exc:
            raise DenyListError(str(exc)) from exc
        if version < self.version:
            raise DenyListError(f"version {version} is older than the gate's {self.version}")
        self.version, self.riders, self.serials = version, riders, serials

    def apply_delta(self, doc: dict[str, Any]) -> None:
        try:
            frm, to = int(doc["from_version"]), int(doc["to_version"])
            add, remove = doc.get("add", {}), doc.get("remove", {})
            add_r, add_s = _riders(add.get("riders", [])), _serials(add.get("serials", []))
            rem_r, rem_s = _riders(remove.get("riders", [])), _serials(remove.get("serials", []))
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise DenyListError(str(exc)) from exc
        if frm != self.version:
            raise StaleDenyListDelta(f"delta from {frm}, gate at {self.version}")
        if to == frm:
            if add_r or add_s or rem_r or rem_s:
                raise DenyListError("a delta that keeps the version changes nothing")
            return  # nothing changed since the gate's version
        if to < frm:
            raise DenyListError("a delta moves the version forward")
        self.riders = (self.riders - rem_r) | add_r
        self.serials = (self.serials - rem_s) | add_s
        self.version = to

    def update(self, doc: dict[str, Any]) -> None:
        """A whole list or a delta, told apart by `from_version`."""
        if not isinstance(doc, dict):
            raise DenyListError("a deny-list update is a JSON object")
        (self.apply_delta if "from_version" in doc else self.replace)(doc)

    def to_json(self) -> str:
        return json.dumps({"version": self.version, "riders": sorted(r.hex() for r in self.riders),
                           "serials": sorted(self.serials)})  # fmt: skip

    @classmethod
    def from_json(cls, text: str) -> DenyList:
        d = cls()
        try:
            d.replace(json.loads(text))
        except ValueError as exc:
            raise DenyListError(str(exc)) from exc
        return d
