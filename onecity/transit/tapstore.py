"""The gate's own tap store (闸机本地记录): every tap it judged, kept in a SQLite file in the gate's
directory while it is offline, until the platform has them. A gate is not the platform database.

Accepted taps are unique by tap id (deterministic from the code), so storing or uploading one twice
is one tap; refused taps are appended as they come (the operator console shows them). `pending`
lists accepted taps not yet uploaded, oldest first; `mark_uploaded` is called with the ids the
platform acknowledged.
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
    uploaded INTEGER NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX IF NOT EXISTS taps_accepted ON taps (tap_id) WHERE verdict = 'ok';
CREATE INDEX IF NOT EXISTS taps_pending ON taps (uploaded, seq) WHERE verdict = 'ok';
"""


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


_COLUMNS = tuple(TapRecord.__dataclass_fields__)


class TapStore:
    FILE = "taps.sqlite3"

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
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
        return self._select("verdict = 'ok' AND uploaded = 0", limit=limit)

    def recent_accepted(self, since_code_ts: int) -> list[TapRecord]:
        """Accepted taps whose code is still fresh: a restarted gate reloads its replay window."""
        return self._select("verdict = 'ok' AND code_ts >= ?", (since_code_ts,), limit=1_000_000)

    def mark_uploaded(self, tap_ids: list[str]) -> int:
        n = 0
        for tid in tap_ids:
            n += self._db.execute(
                "UPDATE taps SET uploaded = 1 WHERE tap_id = ? AND verdict = 'ok'", (tid,)
            ).rowcount
        return n

    def counts(self) -> dict[str, int]:
        return dict(self._db.execute("SELECT verdict, COUNT(*) FROM taps GROUP BY verdict").fetchall())
