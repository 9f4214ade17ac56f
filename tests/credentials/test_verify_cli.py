"""`onecity verify`: offline from a cache directory, exit 0 valid / 1 invalid, only disclosed claims."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import segno
from typer.testing import CliRunner

from onecity import clock
from onecity.cli import app
from tests.credentials.verify_fixtures import NOW, world, world_at

runner = CliRunner()


@pytest.fixture(autouse=True)
def _frozen() -> Iterator[None]:
    clock.freeze(NOW)
    yield
    clock.reset()


@pytest.fixture
def cache(tmp_path: Path) -> Path:
    return world().write_cache(tmp_path / "cache")


def _run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["verify", *args])
    return result.exit_code, result.output


def test_a_valid_presentation_prints_the_verdict_and_the_disclosed_claims(cache: Path) -> None:
    code, out = _run(world().present(), "--cache", str(cache))
    assert code == 0, out
    assert "有效" in out and "VALID" in out and "证照有效 / Valid" in out
    assert "欧阳建国" in out and "C1" in out
    assert "北京市公安局公安交通管理局" in out  # the issuer's name from the trust list


def test_a_purpose_view_shows_only_its_fields(cache: Path) -> None:
    code, out = _run("--cache", str(cache), world().present(world().licence.hotel), "--json")
    assert code == 0, out
    body = json.loads(out)
    assert [c["name"] for c in body["claims"]] == ["name", "licence_number"]
    assert "北京市朝阳区" not in out  # the address was not disclosed


@pytest.mark.parametrize(("make", "reason"), [
    ("tampered", "tampered"), ("expired", "expired"), ("unknown_issuer", "unknown_issuer"),
    ("present_revoked", "revoked"), ("wrong_holder", "wrong_holder"), ("stale", "stale_presentation"),
])  # fmt: skip
def test_invalid_presentations_exit_1_with_the_reason_in_both_languages(cache: Path, make: str,
                                                                        reason: str) -> None:
    code, out = _run(getattr(world(), make)(), "--cache", str(cache))
    assert code == 1, out
    assert "INVALID" in out and f"({reason})" in out
    assert "欧阳建国" not in out


def test_malformed_text_and_a_file_holding_it(cache: Path, tmp_path: Path) -> None:
    assert _run("garbage!!", "--cache", str(cache))[0] == 1
    f = tmp_path / "p.txt"
    f.write_text(world().present() + "\n")
    assert _run(str(f), "--cache", str(cache))[0] == 0


def test_a_qr_image_is_decoded(cache: Path, tmp_path: Path) -> None:
    png = tmp_path / "qr.png"
    segno.make(world().present(), error="q").save(str(png), scale=4)
    code, out = _run("--image", str(png), "--cache", str(cache))
    assert code == 0, out
    not_qr = tmp_path / "blank.png"
    not_qr.write_bytes(b"not a png")
    assert _run("--image", str(not_qr), "--cache", str(cache))[0] == 1


def test_without_status_lists_it_says_revocation_was_not_checked(tmp_path: Path) -> None:
    cache = world().write_cache(tmp_path / "c2", with_status=False)
    code, out = _run(world().present_revoked(), "--cache", str(cache))
    assert code == 0 and "not checked" in out


def test_an_unusable_cache_exits_1(tmp_path: Path, cache: Path) -> None:
    assert _run(world().present(), "--cache", str(tmp_path / "missing"))[0] == 1
    (cache / "platform.pub").write_text("AAAA" * 11)  # another key: the trust list does not verify
    code, out = _run(world().present(), "--cache", str(cache))
    assert code == 1 and "trust list" in out


def test_the_installed_command_runs_offline_on_the_real_clock(tmp_path: Path) -> None:
    """The real entry point in a process of its own, with no database configured and no network."""
    clock.reset()
    now = clock.now()
    w = world_at(now)
    cache = w.write_cache(tmp_path / "cache")
    env = {k: v for k, v in os.environ.items() if not k.startswith("ONECITY_")}
    env |= {"ONECITY_DATABASE_URL": "sqlite:////nonexistent/dir/never.db", "ONECITY_VERIFY_CACHE": str(cache),
            "NO_PROXY": "*", "HTTPS_PROXY": "http://127.0.0.1:9", "HTTP_PROXY": "http://127.0.0.1:9"}
    exe = str(Path(sys.executable).parent / "onecity")
    ok = subprocess.run([exe, "verify", w.present(at=now)], env=env, capture_output=True, text=True, timeout=60)  # noqa: S603
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "欧阳建国" in ok.stdout
    bad = subprocess.run([exe, "verify", w.present(w.revoked.full, holder=w.revoked.holder_key, at=now)],  # noqa: S603
                         env=env, capture_output=True, text=True, timeout=60)
    assert bad.returncode == 1 and "(revoked)" in bad.stdout, bad.stdout + bad.stderr


def test_a_text_that_looks_like_a_too_long_path_is_still_text(cache: Path) -> None:
    code, out = _run("OC1:" + "A" * 300 + "/" + "B" * 10, "--cache", str(cache))
    assert code == 1 and "(malformed)" in out
