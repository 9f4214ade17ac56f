"""Issuing many certificates from a CSV file (批量签发), with a report of the rejected rows.

The file (UTF-8, with or without a BOM, or GB 18030 as spreadsheets in China save it) has a header
row naming its columns: `type_id` (required), `citizen_id` (optional: `cit_…` to issue to a citizen
directly; left empty the certificate waits to be claimed), `holder_id_number` (optional: the
resident ID number of the person who may claim it) and the certificate fields by name
(`name`, `id_number`, …, as in the type's schema). An empty cell is an absent field.

Rules kept here:
- Every row is checked before anything is issued: the type is known; the claims pass the type's
  rules (`types.validate_claims`: required fields, ID number and USCC check characters, dates,
  enums, lengths, unknown fields); the citizen exists; the row is not a duplicate of an earlier row of
  the file (same type, same citizen, same normalised claims). A rejected row is reported with its
  line number in the file (the header is line 1) and every reason at once.
- The accepted rows are issued in the caller's one transaction, together with the import record
  and its report. Why one transaction and not one per row: the rows were all checked first, so one
  bad row never blocks the good ones; what is left to fail is the database itself (or a full status
  list), and then nothing of the upload happened and it can simply be sent again. Per-row commits
  would leave a half-done import after a crash and make "the same file again" ambiguous.
- An upload is idempotent: the same file (by SHA-256) uploaded again by the same issuer returns the
  first report (`replayed`) and issues nothing. The JSON API also takes an Idempotency-Key.
- At most MAX_ROWS data rows and MAX_BYTES per file.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from onecity import clock
from onecity.audit import service as audit
from onecity.authz import Principal
from onecity.credentials import types
from onecity.credentials.models import CredentialImport, Issuer
from onecity.credentials.schemas import ImportOut, ImportRow
from onecity.credentials.service import issuers
from onecity.credentials.service.issuance import issue_credential
from onecity.errors import InvalidInput, NotFound
from onecity.identity import service as identity
from onecity.ids import new_id

MAX_ROWS = 2000  # ~10 ms a row (issue, outbox event, audit entry): an upload stays under half a minute
MAX_BYTES = 4 * 1024 * 1024
RESERVED = ("type_id", "citizen_id", "holder_id_number")
_TRUE = {"true", "1", "yes", "y", "是", "有"}
_FALSE = {"false", "0", "no", "n", "否", "无"}


class ImportFileInvalid(InvalidInput):
    code = "credential_import_file_invalid"
    message_zh = "导入文件无法读取（须为带表头的 CSV，含 type_id 列，最多 2000 行、4 MB）"
    message_en = "The import file cannot be read (a CSV with a header row including type_id, "\
                 "at most 2,000 rows and 4 MB)"


class ImportNotFound(NotFound):
    code = "credential_import_not_found"
    message_zh = "找不到该导入记录"
    message_en = "No such import"


def _decode(data: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ImportFileInvalid(detail="not UTF-8 or GB 18030 text")


def _coerce(ctype: types.CredentialType, name: str, text: str) -> Any:
    """A cell's text as the field's type wants it (integers and booleans are not text in claims)."""
    try:
        f = ctype.field(name)
    except KeyError:
        return text
    if f.type == "integer":
        try:
            return int(text.strip())
        except ValueError:
            return text
    if f.type == "boolean":
        low = text.strip().lower()
        return True if low in _TRUE else False if low in _FALSE else text
    return text


def _rows(text: str) -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
    """The header and the data rows with their starting line numbers (blank lines skipped)."""
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration as exc:
        raise ImportFileInvalid(detail="the file is empty") from exc
    except csv.Error as exc:
        raise ImportFileInvalid(detail=str(exc)[:200]) from exc
    if "type_id" not in header or len(set(header)) != len(header) or any(not h for h in header):
        raise ImportFileInvalid(detail="the header must name type_id and each column once")
    rows: list[tuple[int, dict[str, str]]] = []
    line = reader.line_num + 1
    try:
        for cells in reader:
            start, line = line, reader.line_num + 1
            if not any(c.strip() for c in cells):
                continue
            if len(rows) >= MAX_ROWS:
                raise ImportFileInvalid(detail=f"more than {MAX_ROWS} rows")
            row = {h: (cells[i] if i < len(cells) else "") for i, h in enumerate(header)}
            if len(cells) > len(header):
                row["\0extra"] = "1"
            rows.append((start, row))
    except csv.Error as exc:
        raise ImportFileInvalid(detail=f"line {line}: {exc}"[:200]) from exc
    return header, rows


_Item = tuple[str, dict[str, Any], str | None, str | None]  # type id, claims, citizen id, holder ID number


def _check_row(session: Session, row: dict[str, str]) -> tuple[_Item | None, list[str]]:
    """((type id, normalised claims, citizen id, holder ID number), []) or (None, reasons)."""
    reasons: list[str] = []
    if row.pop("\0extra", None):
        reasons.append("more cells than the header has columns")
    type_id = row.get("type_id", "").strip()
    try:
        ctype = types.get_type(type_id)
    except types.UnknownType:
        return None, [*reasons, f"type_id: unknown certificate type “{type_id[:40]}”"]
    citizen_id = row.get("citizen_id", "").strip() or None
    if citizen_id is not None:
        try:
            identity.get_citizen(session, citizen_id)
        except identity.CitizenNotFound:
            reasons.append(f"citizen_id: no such citizen “{citizen_id[:40]}”")
    holder = row.get("holder_id_number", "").strip().upper() or None
    if holder is not None and not types.id_number_ok(holder):
        reasons.append("holder_id_number: not a valid resident ID number")
    claims = {k: _coerce(ctype, k, v) for k, v in row.items() if k not in RESERVED and v.strip()}
    try:
        normalised = types.validate_claims(ctype, claims)
    except types.ClaimsInvalid as exc:
        reasons.extend((exc.detail or exc.message_en).split("; "))
        normalised = {}
    if reasons:
        return None, reasons
    return (ctype.id, normalised, citizen_id, holder), []


def _out(row: CredentialImport, issuer_public_id: str, *, replayed: bool = False) -> ImportOut:
    report = json.loads(row.report)
    return ImportOut(import_id=row.public_id, issuer_id=issuer_public_id, filename=row.filename,
                     file_sha256=row.file_sha256, rows_total=row.rows_total, rows_accepted=row.rows_accepted,
                     rows_rejected=row.rows_rejected,
                     accepted=tuple(ImportRow(line=a["line"], credential_id=a["credential_id"])
                                    for a in report["accepted"]),
                     rejected=tuple(ImportRow(line=r["line"], reasons=tuple(r["reasons"])) for r in report["rejected"]),
                     created_at=row.created_at, replayed=replayed)


def import_csv(session: Session, *, issuer_id: str, data: bytes, filename: str = "import.csv",
               actor: Principal | str = "system") -> ImportOut:
    """Check every row of the CSV `data`, issue the accepted ones and store the report (see the
    module's rules). The same file again returns the first report with `replayed` True."""
    if not data or len(data) > MAX_BYTES:
        raise ImportFileInvalid(detail="empty or larger than 4 MB")
    issuer = issuers._issuer(session, issuer_id, lock=True)  # one import at a time per issuer
    digest = hashlib.sha256(data).hexdigest()
    earlier = session.scalars(select(CredentialImport).where(CredentialImport.issuer_id == issuer.id,
                                                             CredentialImport.file_sha256 == digest)).one_or_none()
    if earlier is not None:
        return _out(earlier, issuer.public_id, replayed=True)
    _, rows = _rows(_decode(data))
    if not rows:
        raise ImportFileInvalid(detail="no data rows")
    accepted: list[tuple[int, _Item]] = []
    rejected: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    for line, row in rows:
        item, reasons = _check_row(session, row)
        if item is not None:
            key = json.dumps([item[0], item[2], item[3], item[1]], ensure_ascii=False, sort_keys=True)
            if key in seen:
                item, reasons = None, [f"duplicate of line {seen[key]}"]
            else:
                seen[key] = line
        if item is None:
            rejected.append({"line": line, "reasons": reasons})
        else:
            accepted.append((line, item))
    issued = []
    for line, (type_id, claims, citizen_id, holder) in accepted:
        out = issue_credential(session, issuer_id=issuer.public_id, type_id=type_id, claims=claims,
                               citizen_id=citizen_id, actor=actor, holder_id_number=holder)
        issued.append({"line": line, "credential_id": out.credential_id})
    name = (filename or "import.csv").replace("\\", "/").rsplit("/", 1)[-1][:200] or "import.csv"
    now = clock.now()
    record = CredentialImport(public_id=new_id("imp"), issuer_id=issuer.id, file_sha256=digest, filename=name,
                              rows_total=len(rows), rows_accepted=len(issued), rows_rejected=len(rejected),
                              report=json.dumps({"accepted": issued, "rejected": rejected}, ensure_ascii=False),
                              created_at=now, created_by=issuers._actor_id(actor))
    session.add(record)
    session.flush()
    audit.record(session, actor=actor, action="credential.import", subject_citizen_id=None,
                 resource=f"credential_import/{record.public_id}", on_behalf_of=issuer.org_id,
                 reason=f"批量签发 import “{name}”: {len(issued)} issued, {len(rejected)} rejected of {len(rows)}")
    return _out(record, issuer.public_id)


def get_import(session: Session, *, issuer_id: str, import_id: str) -> ImportOut:
    row = session.scalars(select(CredentialImport).join(Issuer, Issuer.id == CredentialImport.issuer_id)
                          .where(CredentialImport.public_id == import_id, Issuer.public_id == issuer_id)).one_or_none()
    if row is None:
        raise ImportNotFound()
    return _out(row, issuer_id)


def list_imports(session: Session, *, issuer_id: str, limit: int = 20) -> list[ImportOut]:
    """The issuer's imports, newest first."""
    issuer = issuers._issuer(session, issuer_id)
    rows = session.scalars(select(CredentialImport).where(CredentialImport.issuer_id == issuer.id)
                           .order_by(CredentialImport.id.desc()).limit(max(1, min(limit, 100))))
    return [_out(r, issuer_id) for r in rows]


def template_csv(type_id: str) -> str:
    """A header row (and nothing else) for importing certificates of `type_id`."""
    ctype = types.get_type(type_id)
    buf = io.StringIO()
    csv.writer(buf).writerow(["type_id", "citizen_id", "holder_id_number", *(f.name for f in ctype.fields)])
    return buf.getvalue()
