"""Real-name verification against the population registry, the registry load, summaries, photos."""

from __future__ import annotations

import csv
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from onecity import clock, outbox
from onecity.crypto.fields import decrypt_str
from onecity.db import session_factory, transaction
from onecity.identity import service
from onecity.identity.models import Citizen, PopulationRegistryEntry
from onecity.identity.resident_id import IdNumberChecksumError, make_id_number
from onecity.identity.schemas import RegistryRow
from tests.identity.factories import fresh_id_number, make_citizen, make_registry_entry

NOW = datetime(2026, 11, 26, 4, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _clock():
    clock.freeze(NOW)
    yield
    clock.reset()


def _verify(citizen_id: str, name: str, id_number: str):
    """As the API does: a recorded failure commits its counters, anything else rolls back."""
    s = session_factory()()
    try:
        out = service.verify_real_name(s, citizen_id=citizen_id, name=name, id_number=id_number)
        s.commit()
        return out
    except service.RecordedFailure:
        s.commit()
        raise
    finally:
        s.close()


def _new_citizen() -> str:
    with transaction() as s:
        return make_citizen(s, verified=False).public_id


def test_verification_binds_the_registry_identity():
    with transaction() as s:
        entry = make_registry_entry(s, name="李小龙", birth_date=date(1995, 8, 20), sex="M", region="440304")
    cid = _new_citizen()
    summary = _verify(cid, "李小龙", entry.id_number)
    assert summary.verified and summary.public_id == cid
    assert summary.masked_name == "李*龙"
    assert summary.masked_id_number == entry.id_number[:4] + "*" * 10 + entry.id_number[-4:]
    assert summary.sex == "M" and summary.birth_date == date(1995, 8, 20)
    assert summary.age == 31 and summary.is_minor is False
    assert summary.region_code == "440304" and summary.region_name == "广东省深圳市福田区"
    with transaction() as s:
        c = s.scalars(select(Citizen).where(Citizen.public_id == cid)).one()
        assert entry.id_number.encode() not in (c.id_number_enc or b"")
        assert decrypt_str(c.id_number_enc, purpose=service.ENC_CITIZEN_ID_NUMBER) == entry.id_number
        assert decrypt_str(c.real_name_enc, purpose=service.ENC_CITIZEN_NAME) == "李小龙"
        assert c.id_number_index == service.id_number_index(entry.id_number)
        assert c.registry_entry_id == entry.row.id and c.verified_at == NOW
        assert service.get_citizen_by_id_number(s, entry.id_number.lower()).public_id == cid


def test_verification_emits_an_event_and_an_audit_entry():
    from onecity.audit.models import AuditEntry

    with transaction() as s:
        entry = make_registry_entry(s, name="王芳")
    cid = _new_citizen()
    _verify(cid, "王芳", entry.id_number)
    with transaction() as s:
        events = [e.payload for e in s.scalars(select(outbox.OutboxEvent).where(
            outbox.OutboxEvent.topic == service.VERIFIED_TOPIC))]
        audits = list(s.scalars(select(AuditEntry).where(AuditEntry.action == "identity.real_name.verify")))
    assert events == [{"citizen_id": cid, "region_code": "440305", "is_minor": False,
                       "verified_at": NOW.isoformat()}]
    assert len(audits) == 1 and audits[0].subject_citizen_id == cid and audits[0].actor_id == cid
    assert entry.id_number not in str(events) + audits[0].reason + audits[0].resource


def test_minor_is_derived():
    with transaction() as s:
        entry = make_registry_entry(s, name="张小宝", birth_date=date(2015, 1, 1))
    cid = _new_citizen()
    summary = _verify(cid, "张小宝", entry.id_number)
    assert summary.age == 11 and summary.is_minor


@pytest.mark.parametrize(("typed", "matches"), [
    ("王芳 ", True), ("王　芳", True), ("王 芳", True), ("王芳芳", False), ("王", False)])
def test_names_are_normalised_but_must_match(typed, matches):
    with transaction() as s:
        entry = make_registry_entry(s, name="王芳")
    cid = _new_citizen()
    if matches:
        assert _verify(cid, typed, entry.id_number).verified
    else:
        with pytest.raises(service.RealNameMismatch):
            _verify(cid, typed, entry.id_number)


def test_minority_names_with_the_middle_dot():
    with transaction() as s:
        entry = make_registry_entry(s, name="买买提·艾力")
    cid = _new_citizen()
    assert _verify(cid, "买买提•艾力", entry.id_number).masked_name == "买****力"


def _unchanged(cid: str, events: int = 0) -> None:
    with transaction() as s:
        c = s.scalars(select(Citizen).where(Citizen.public_id == cid)).one()
        assert c.verified_at is None and c.id_number_index is None and c.real_name_enc is None
        assert s.scalar(select(func.count()).select_from(outbox.OutboxEvent).where(
            outbox.OutboxEvent.topic == service.VERIFIED_TOPIC)) == events


def test_wrong_name_and_unknown_number_give_the_same_error():
    with transaction() as s:
        entry = make_registry_entry(s, name="王芳")
    cid = _new_citizen()
    with pytest.raises(service.RealNameMismatch) as wrong_name:
        _verify(cid, "王芬", entry.id_number)
    with pytest.raises(service.RealNameMismatch) as unknown:
        _verify(cid, "王芳", fresh_id_number())
    assert wrong_name.value.code == unknown.value.code == "real_name_mismatch"
    _unchanged(cid)


@pytest.mark.parametrize("status", ["deceased", "moved_out"])
def test_inactive_registry_entries_are_refused(status):
    with transaction() as s:
        entry = make_registry_entry(s, name="赵磊", status=status)
    cid = _new_citizen()
    with pytest.raises(service.RegistryInactive) as e:
        _verify(cid, "赵磊", entry.id_number)
    assert e.value.code == "real_name_registry_inactive"
    _unchanged(cid)


def test_invalid_id_numbers_are_refused_before_the_registry_is_asked():
    cid = _new_citizen()
    good = fresh_id_number()
    with pytest.raises(IdNumberChecksumError):
        _verify(cid, "王芳", good[:-1] + ("0" if good[-1] != "0" else "1"))
    with pytest.raises(service.NameInvalid):
        _verify(cid, "<script>", good)
    _unchanged(cid)


def test_an_id_number_binds_to_one_account_only():
    with transaction() as s:
        entry = make_registry_entry(s, name="陈静")
    first, second = _new_citizen(), _new_citizen()
    _verify(first, "陈静", entry.id_number)
    with pytest.raises(service.IdNumberInUse) as e:
        _verify(second, "陈静", entry.id_number)
    assert e.value.code == "id_number_in_use" and e.value.status == 409
    _unchanged(second, events=1)  # the first citizen's


def test_verifying_again_is_idempotent_but_never_rebinds():
    with transaction() as s:
        a = make_registry_entry(s, name="杨帆")
        b = make_registry_entry(s, name="吴敏")
    cid = _new_citizen()
    first = _verify(cid, "杨帆", a.id_number)
    assert _verify(cid, "杨帆", a.id_number) == first
    with pytest.raises(service.AlreadyVerified):
        _verify(cid, "吴敏", b.id_number)
    with transaction() as s:
        assert s.scalar(select(func.count()).select_from(outbox.OutboxEvent).where(
            outbox.OutboxEvent.topic == service.VERIFIED_TOPIC)) == 1


def test_failed_checks_are_limited_per_day():
    with transaction() as s:
        entry = make_registry_entry(s, name="黄丽")
    cid = _new_citizen()
    for _ in range(service.REAL_NAME_MAX_FAILURES_PER_DAY):
        with pytest.raises(service.RealNameMismatch):
            _verify(cid, "黄莉", entry.id_number)
    with pytest.raises(service.RealNameAttemptsExceeded) as e:
        _verify(cid, "黄丽", entry.id_number)  # even the right answer, today
    assert e.value.code == "real_name_attempts_exceeded" and e.value.status == 429
    clock.freeze(datetime(2026, 11, 28, 4, 0, tzinfo=UTC))
    assert _verify(cid, "黄丽", entry.id_number).verified


# --- summaries and photos -------------------------------------------------------------------------

def test_summary_of_an_unverified_citizen():
    cid = _new_citizen()
    with transaction() as s:
        summary = service.citizen_summary(s, cid)
    assert not summary.verified and summary.masked_name is None and summary.age is None
    with transaction() as s, pytest.raises(service.CitizenNotFound):
        service.citizen_summary(s, "cit_nope")


def test_reference_photo_only_for_verified_citizens():
    photo = b"\xff\xd8\xff\xe0fake-jpeg-bytes"
    with transaction() as s:
        verified = make_citizen(s, photo=photo)
        without = make_citizen(s)
        unverified = make_citizen(s, verified=False)
        assert photo not in s.get(PopulationRegistryEntry, verified.registry_entry_id).photo_enc
    with transaction() as s:
        assert service.reference_photo(s, verified.public_id) == photo
        assert service.reference_photo(s, without.public_id) is None
        assert service.reference_photo(s, unverified.public_id) is None
        assert service.real_name(s, unverified.public_id) is None
        assert service.real_name(s, verified.public_id)


def test_factories_give_usable_rows():
    with transaction() as s:
        c = make_citizen(s, birth_date=date(2012, 5, 1), name="王小明")
        assert service.citizen_summary(s, c.public_id).is_minor
        assert service.real_name(s, c.public_id) == "王小明"


# --- the registry load ----------------------------------------------------------------------------

def test_load_registry_is_idempotent_and_reports_bad_rows():
    good = fresh_id_number()
    rows = [
        RegistryRow(name="刘洋", id_number=good, photo=b"p1"),
        RegistryRow(name="刘洋", id_number="123"),
        RegistryRow(name="", id_number=fresh_id_number()),
    ]
    with transaction() as s:
        first = service.load_registry(s, rows)
    assert (first.created, first.updated, first.unchanged) == (1, 0, 0)
    assert first.rejected == [(2, "id_number_format"), (3, "name_invalid")]
    with transaction() as s:
        again = service.load_registry(s, rows[:1])
    assert (again.created, again.updated, again.unchanged) == (0, 0, 1)
    with transaction() as s:
        changed = service.load_registry(s, [RegistryRow(name="刘阳", id_number=good, status="moved_out")])
        assert changed.updated == 1
        entry = service.registry_entry_by_id_number(s, good)
        assert entry.status == "moved_out"
        assert decrypt_str(entry.name_enc, purpose=service.ENC_REGISTRY_NAME) == "刘阳"
        assert entry.photo_enc is not None  # no photo given: the old one stays
        assert s.scalar(select(func.count()).select_from(PopulationRegistryEntry)) == 1


def test_registry_cli_loads_a_csv(tmp_path):
    from onecity.identity.commands import cli

    photo = tmp_path / "a.jpg"
    photo.write_bytes(b"\xff\xd8photo")
    ids = [make_id_number("440306", date(1980, 1, 2), n, "F") for n in range(3)]
    path = tmp_path / "registry.csv"
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["name", "id_number", "status", "photo"])
        w.writerow(["周杰", ids[0], "active", "a.jpg"])
        w.writerow(["孙悦", ids[1], "", ""])
        w.writerow(["徐强", ids[2], "gone", ""])
        w.writerow(["错号", "440306198001020000", "", ""])
    runner = CliRunner()
    result = runner.invoke(cli, ["load", str(path)])
    assert result.exit_code == 2, result.output
    assert "created 2, updated 0, unchanged 0, rejected 2" in result.output
    assert "row 4: registry_status_invalid" in result.output and "row 5: id_number_checksum" in result.output
    assert ids[0] not in result.output
    again = runner.invoke(cli, ["load", str(path)])
    assert "created 0, updated 0, unchanged 2" in again.output
    with transaction() as s:
        cid = make_citizen(s, verified=False).public_id
        service.verify_real_name(s, citizen_id=cid, name="周杰", id_number=ids[0])
        assert service.reference_photo(s, cid) == b"\xff\xd8photo"
