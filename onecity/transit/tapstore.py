"""The gate's own tap store (闸机本地记录): every tap it judged, kept in a SQLite file in the gate's
directory while it is offline, until the platform has them. A gate is not the platform database.

Accepted taps are unique by tap id (deterministic from the code), so storing or uploading one twice
is one tap; refused taps are appended as they come (the operator console shows them). An accepted
tap keeps the scanned code (its Base45 text): the platform's upload API verifies every tap again from
it, so the gate uploads its records as they are (`transit.uplink`). `pending` lists accepted taps not
yet uploaded, oldest first; `mark_uploaded` is called with the ids the platform acknowledged
(accepted, or a duplicate of one it already had) and `mark_rejected` with those it refused for good,
each with the platform's reason; `mark_deferred` sets aside, until `release_deferred`, those to send
again later (a tap the platform found ahead of its clock). `uploads` counts each state.

A gate file made before the code column existed gains it when opened (its old taps have no code and
cannot be uploaded: `pending` skips them).
"""

from __future__ import annotations

import sqlite3
from dataclasses import asdict, dataclass
from pathlib import Path

_SCHEMA = """
CREATE TABLE IF NOT EXISTS taps (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    tap_id TEXT NOT NULL,
    gate_id TEXT NOT NULL,
    stop_id TEXT NOT NULL,
    network TEXT NOT NULL,
    direction TEXT NOT NULL,
    at INTEGER NOT NULL,
    code_ts INTEGER,
    rider_ref TEXT,
    serial INTEGER,
    verdict TEXT NOT NULL,
    detail TEXT,
    code TEXT,
    uploaded INTEGER NOT NULL DEFAULT 0,
    upload_result TEXT
);
CREATE UNIQUE INDEX IF NOT EXISTS taps_accepted ON taps (tap_id) WHERE verdict = 'ok';
CREATE INDEX IF NOT EXISTS taps_pending ON taps (uploaded, seq) WHERE verdict = 'ok';
"""
_ADDED_COLUMNS = {"code": "TEXT", "upload_result": "TEXT"}  # added after the first gate files were made


@dataclass(frozen=True)
class TapRecord:
    tap_id: str
    gate_id: str
    stop_id: str
    network: str  # "metro" | "bus"
    direction: str  # "in" | "out"
    at: int  # the gate's clock, epoch seconds
    code_ts: int | None  # the phone's clock in the code
    rider_ref: str | None  # hex
    serial: int | None
    verdict: str
    detail: str | None = None
    code: str | None = None  # the scanned ride code (Base45 text) of an accepted tap


_COLUMNS = tuple(TapRecord.__dataclass_fields__)


class TapStore:
    FILE = "taps.sqlite3"

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        have = {r[1] for r in self._db.execute("PRAGMA table_info(taps)")}
        if have:
            for name, kind in _ADDED_COLUMNS.items():
                if name not in have:
                    self._db.execute(f"ALTER TABLE taps ADD COLUMN {name} {kind}")
        self._db.executescript(_SCHEMA)

    @classmethod
    def in_directory(cls, directory: Path) -> TapStore:
        return cls(directory / cls.FILE)

    def close(self) -> None:
        self._db.close()

    def append(self, record: TapRecord) -> bool:
        """Store a tap; False when this accepted tap was already stored."""
        cur = self._db.execute(
            f"INSERT OR IGNORE INTO taps ({', '.join(_COLUMNS)}) VALUES ({', '.join('?' * len(_COLUMNS))})",  # noqa: S608
            tuple(asdict(record).values()),
        )
        return cur.rowcount == 1

    def _select(self, where: str, args: tuple[object, ...] = (), limit: int = 1000) -> list[TapRecord]:
        rows = self._db.execute(
            f"SELECT {', '.join(_COLUMNS)} FROM taps WHERE {where} ORDER BY seq LIMIT ?",  # noqa: S608
            (*args, limit),
        ).fetchall()
        return [TapRecord(*r) for r in rows]

    def all(self, limit: int = 1000) -> list[TapRecord]:
        return self._select("1=1", limit=limit)

    def pending(self, limit: int = 1000) -> list[TapRecord]:
        return self._select(
            "verdict = 'ok' AND uploaded = 0 AND code IS NOT NULL AND upload_result IS NULL", limit=limit
        )

    def recent_accepted(self, since_code_ts: int) -> list[TapRecord]:
        """Accepted taps whose code is still fresh: a restarted gate reloads its replay window."""
        return self._select("verdict = 'ok' AND code_ts >= ?", (since_code_ts,), limit=1_000_000)

    def mark_uploaded(self, tap_ids: list[str], result: str = "accepted") -> int:
        """The platform has these taps (`result` "accepted" or "duplicate"); returns how many were marked."""
        return self._mark([(result, tid) for tid in tap_ids])

    def mark_rejected(self, reasons: dict[str, str]) -> int:
        """The platform refused these taps for good (tap id → its reason): they are not sent again."""
        return self._mark([(f"rejected:{why}", tid) for tid, why in reasons.items()])

    def mark_deferred(self, reasons: dict[str, str]) -> int:
        """Not now (tap id → the platform's reason): left out of `pending` until `release_deferred`."""
        return self._mark([(f"deferred:{why}", tid) for tid, why in reasons.items()], uploaded=0)

    def release_deferred(self) -> int:
        return self._db.execute(
            "UPDATE taps SET upload_result = NULL WHERE uploaded = 0 AND upload_result LIKE 'deferred:%'"
        ).rowcount

    def _mark(self, rows: list[tuple[str, str]], uploaded: int = 1) -> int:
        n = 0
        self._db.execute("BEGIN")
        try:
            for result, tid in rows:
                n += self._db.execute(
                    "UPDATE taps SET uploaded = ?, upload_result = ? WHERE tap_id = ? AND verdict = 'ok'",
                    (uploaded, result, tid),
                ).rowcount
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")
        return n

    def uploads(self) -> dict[str, int]:
        """Accepted taps by upload state: "pending", "accepted", "duplicate", "rejected:<reason>" (and
        "no_code" for taps stored before the code was kept)."""
        rows = self._db.execute(
            "SELECT COALESCE(upload_result, CASE WHEN uploaded = 1 THEN 'accepted' WHEN code IS NULL THEN 'no_code' "
            "ELSE 'pending' END), COUNT(*) FROM taps WHERE verdict = 'ok' GROUP BY 1"
        ).fetchall()
        return dict(rows)

    def counts(self) -> dict[str, int]:
        return dict(self._db.execute("SELECT verdict, COUNT(*) FROM taps GROUP BY verdict").fetchall())
