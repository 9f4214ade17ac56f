"""`onecity registry …`: load the city's population registry (人口库) from a CSV file.

The CSV has a header row with the columns `name`, `id_number`, and optionally `status` (active,
deceased, moved_out; default active) and `photo` (a JPEG/PNG path, relative to the CSV file). Loading
is idempotent on the ID number: a reload updates names, statuses and photos. Invalid rows are
reported by row number and error code, and nothing of them is loaded.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

import typer

NAME = "registry"
cli = typer.Typer(help="The city's population registry (人口库).", no_args_is_help=True)

REQUIRED = {"name", "id_number"}
STATUSES = {"active", "deceased", "moved_out"}


@cli.callback()
def _group() -> None:
    """The city's population registry."""


def read_rows(path: Path) -> Iterator[tuple[int, dict[str, str]]]:
    with path.open(encoding="utf-8-sig", newline="") as f:
        reader = csv.DictReader(f)
        missing = REQUIRED - set(reader.fieldnames or ())
        if missing:
            raise typer.BadParameter(f"{path} lacks the column(s): {', '.join(sorted(missing))}")
        for n, row in enumerate(reader, start=2):  # row 1 is the header
            yield n, {k: (v or "").strip() for k, v in row.items() if k}


@cli.command("load")
def load(file: Path = typer.Argument(..., exists=True, dir_okay=False, readable=True,
                                     help="CSV with name,id_number[,status][,photo]")) -> None:
    """Load (or reload) residents from FILE.csv into the population registry."""
    from onecity.db import transaction
    from onecity.identity import service
    from onecity.identity.schemas import RegistryRow

    rows: list[RegistryRow] = []
    lines: list[int] = []
    problems: list[tuple[int, str]] = []
    for n, raw in read_rows(file):
        status = raw.get("status") or "active"
        if status not in STATUSES:
            problems.append((n, "registry_status_invalid"))
            continue
        photo = None
        if raw.get("photo"):
            photo_path = (file.parent / raw["photo"]).resolve()
            if not photo_path.is_file():
                problems.append((n, "photo_missing"))
                continue
            photo = photo_path.read_bytes()
        rows.append(RegistryRow(name=raw["name"], id_number=raw["id_number"], photo=photo, status=status))  # type: ignore[arg-type]
        lines.append(n)
    with transaction() as s:
        report = service.load_registry(s, rows)
    problems += [(lines[i - 1], code) for i, code in report.rejected]
    typer.echo(f"created {report.created}, updated {report.updated}, unchanged {report.unchanged}, "
               f"rejected {len(problems)}")
    for n, code in sorted(problems):
        typer.echo(f"  row {n}: {code}")
    if problems:
        raise typer.Exit(code=2)


@cli.command("prune")
def prune() -> None:
    """Delete expired one-time codes and ended rate-limit windows (run daily, e.g. from cron)."""
    from onecity.db import transaction
    from onecity.identity import service

    with transaction() as s:
        counts = service.prune_expired(s)
    typer.echo(", ".join(f"{k}: {v}" for k, v in counts.items()))
