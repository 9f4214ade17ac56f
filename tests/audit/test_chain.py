"""The audit log's hash chain: appends, verification, and tampering made directly in SQL."""

from __future__ import annotations

import hashlib
import threading
from datetime import UTC, datetime

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from onecity import clock
from onecity.audit import service as audit
from onecity.audit.models import AuditEntry
from onecity.authz import Principal
from onecity.db import session_factory, transaction
from onecity.observability import request_id_var

STAFF = Principal(kind="staff", id="stf_01TEST", org_id="org_01HOSPITAL", roles=frozenset({"operator"}))


def _append(n: int, **kw: object) -> list[str]:
    ids = []
    with transaction() as s:
        for i in range(n):
            e = audit.record(s, actor=STAFF, action="citizen.record.read", subject_citizen_id=f"cit_{i % 3}",
                             resource=f"medical_record/rec_{i}", reason="门诊就诊调阅病历", **kw)  # type: ignore[arg-type]
            ids.append(e.public_id)
    return ids


def test_worked_example_of_an_entry_hash():
    clock.freeze(datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=UTC))
    token = request_id_var.set("req-1")
    try:
        with transaction() as s:
            e = audit.record(s, actor=STAFF, action="citizen.record.read", subject_citizen_id="cit_A",
                             resource="medical_record/rec_1", reason="就诊")
            pid = e.public_id
            canonical = audit.canonical(e)
            stored = e.entry_hash
    finally:
        request_id_var.reset(token)
    expected = (
        '{"action":"citizen.record.read","actor_id":"stf_01TEST","actor_kind":"staff",'
        '"actor_org_id":"org_01HOSPITAL","created_at":"2026-01-02T03:04:05.678901Z","on_behalf_of":null,'
        '"prev_hash":"' + "0" * 64 + '","public_id":"' + pid + '","reason":"就诊","request_id":"req-1",'
        '"resource":"medical_record/rec_1","seq":1,"subject_citizen_id":"cit_A"}'
    )
    assert canonical.decode() == expected
    assert stored == hashlib.sha256(expected.encode()).hexdigest()


def test_entries_chain_and_verify_clean():
    _append(5)
    with transaction() as s:
        rows = list(s.scalars(text("SELECT seq FROM audit_entry ORDER BY seq")))
        report = audit.verify_chain(s, batch=2)  # small batches: the walk crosses batch boundaries
        entries = list(s.query(AuditEntry).order_by(AuditEntry.seq))
    assert rows == [1, 2, 3, 4, 5]
    assert report.ok and report.entries == 5 and report.head_seq == 5 and report.problems == []
    assert entries[0].prev_hash == audit.GENESIS
    for prev, cur in zip(entries, entries[1:], strict=False):
        assert cur.prev_hash == prev.entry_hash
    assert report.head_hash == entries[-1].entry_hash


def test_empty_log_verifies():
    with transaction() as s:
        report = audit.verify_chain(s)
    assert report.ok and report.entries == 0


def test_rolled_back_append_leaves_no_trace_and_chain_continues():
    _append(2)
    with pytest.raises(RuntimeError), transaction() as s:
        audit.record(s, actor=STAFF, action="x.read", subject_citizen_id=None, resource="r", reason="r")
        raise RuntimeError("request failed")
    _append(1)
    with transaction() as s:
        report = audit.verify_chain(s)
    assert report.ok and report.entries == 3


def test_string_actors():
    with transaction() as s:
        a = audit.record(s, actor="worker", action="bill.remind", subject_citizen_id="cit_1", resource="bill/b1",
                         reason="到期提醒")
        b = audit.record(s, actor="cit_01X", action="family.read", subject_citizen_id="cit_2",
                         resource="citizen/cit_2", reason="亲情账户", on_behalf_of="cit_2")
        c = audit.record(s, actor="org_01Y", action="x.read", subject_citizen_id=None, resource="r", reason="r")
        assert (a.actor_kind, a.actor_id, a.actor_org_id) == ("system", "worker", None)
        assert (b.actor_kind, b.actor_id, b.on_behalf_of) == ("citizen", "cit_01X", "cit_2")
        assert (c.actor_kind, c.actor_org_id) == ("org", "org_01Y")


@pytest.mark.parametrize("bad", [{"action": ""}, {"reason": "  "}, {"resource": "x" * 201}, {"actor": ""}])
def test_incomplete_entries_are_refused(bad):
    args = {"actor": STAFF, "action": "a.read", "subject_citizen_id": None, "resource": "r", "reason": "why"}
    args.update(bad)
    with transaction() as s, pytest.raises(audit.AuditInputInvalid):
        audit.record(s, **args)  # type: ignore[arg-type]


def _problems() -> list[tuple[str, int | None]]:
    with transaction() as s:
        report = audit.verify_chain(s)
    assert not report.ok
    return [(p.kind, p.seq) for p in report.problems]


def _sql(statement: str, **params: object) -> None:
    with transaction() as s:
        s.execute(text(statement), params)


def test_detects_an_edited_entry():
    _append(5)
    _sql("UPDATE audit_entry SET reason = 'nothing to see' WHERE seq = 3")
    assert _problems() == [("hash_mismatch", 3)]


def test_detects_an_edit_that_also_recomputes_the_hash():
    _append(5)
    _sql("UPDATE audit_entry SET reason = 'forged', entry_hash = :h WHERE seq = 3", h="f" * 64)
    # The forger's own hash of entry 3 no longer links to entry 4.
    assert ("broken_link", 4) in _problems()


def test_detects_a_deleted_entry():
    _append(5)
    _sql("DELETE FROM audit_entry WHERE seq = 2")
    assert _problems() == [("gap", 3), ("broken_link", 3)]


def test_detects_entries_cut_off_the_end():
    _append(5)
    _sql("DELETE FROM audit_entry WHERE seq >= 4")
    assert _problems() == [("head_mismatch", 5)]


def test_detects_a_missing_head():
    _append(2)
    _sql("DELETE FROM audit_chain_head")
    assert _problems() == [("head_missing", None)]


def test_detects_reordered_entries():
    _append(5)
    _sql("UPDATE audit_entry SET seq = -1 WHERE seq = 2")
    _sql("UPDATE audit_entry SET seq = 2 WHERE seq = 3")
    _sql("UPDATE audit_entry SET seq = 3 WHERE seq = -1")
    problems = _problems()
    assert ("hash_mismatch", 2) in problems and ("hash_mismatch", 3) in problems
    assert ("broken_link", 2) in problems and ("broken_link", 3) in problems


def test_detects_swapped_timestamps():
    _append(3)
    _sql("UPDATE audit_entry SET created_at = :t WHERE seq = 1", t=datetime(2020, 1, 1, tzinfo=UTC))
    assert _problems() == [("hash_mismatch", 1)]


def test_concurrent_appends_keep_one_chain():
    """Eight threads append at once, each in its own transaction; the chain stays linear."""
    errors: list[BaseException] = []
    barrier = threading.Barrier(8)

    def worker(n: int) -> None:
        try:
            barrier.wait()
            for i in range(5):
                with transaction() as s:
                    audit.record(s, actor=f"worker-{n}", action="t.append", subject_citizen_id=None,
                                 resource=f"r/{n}/{i}", reason="concurrency")
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with transaction() as s:
        report = audit.verify_chain(s)
    assert report.ok and report.entries == 40


def test_cli_verify_exit_codes():
    from onecity.audit.commands import cli

    _append(3)
    runner = CliRunner()
    ok = runner.invoke(cli, ["verify"])
    assert ok.exit_code == 0, ok.output
    assert "3" in ok.output
    _sql("UPDATE audit_entry SET action = 'x.edited' WHERE seq = 2")
    bad = runner.invoke(cli, ["verify"])
    assert bad.exit_code == 1
    assert "seq 2" in bad.output and "hash_mismatch" in bad.output


def test_listing_pages_newest_first():
    _append(7)
    with session_factory()() as s:
        p1 = audit.access_log(s, citizen_id="cit_0", limit=2)  # entries 1, 4, 7 are cit_0's
        assert [e.seq for e in p1.entries] == [7, 4] and p1.next_cursor == p1.entries[-1].public_id
        p2 = audit.access_log(s, citizen_id="cit_0", after=p1.next_cursor, limit=2)
        assert [e.seq for e in p2.entries] == [1] and p2.next_cursor is None
        org = audit.entries_for_org(s, org_id="org_01HOSPITAL", limit=100)
        assert len(org.entries) == 7
        with pytest.raises(audit.CursorInvalid):
            audit.search(s, after="aud_nope")
