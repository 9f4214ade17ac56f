"""Applications JSON routes (/v1/services/applications…).

Citizens: submit, list, read, act on their own (withdraw / resubmit / pay), upload attachments,
pre-fill a form (and grant the consent it needs), read their notices. The agency's staff (or the
agency's signed API): the queue, read, claim / approve / reject / request_info / …, record a visit.
POSTs take an `Idempotency-Key` (the middleware); errors are problem+json with stable codes, and a
refused request changes nothing (the request's transaction rolls back).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Path, Query, UploadFile
from fastapi.responses import Response

from onecity.authz import Principal, allow
from onecity.deps import DbSession
from onecity.services.applications import service
from onecity.services.applications.errors import AttachmentInvalid
from onecity.services.applications.schemas import (
    ActIn,
    ApplicationOut,
    ApplicationsPage,
    AttachmentOut,
    ConsentIn,
    NoticeOut,
    PrefillOut,
    SubmitIn,
)

router = APIRouter(tags=["services-applications"])

CITIZEN = allow("citizen")
STAFF = allow("staff", "org", roles={"owner", "admin", "operator", "reviewer"})
READER = allow("citizen", "staff", "org")
AppId = Annotated[str, Path(max_length=40)]
ActionName = Annotated[str, Path(max_length=30, pattern=r"^[a-z][a-z_]*$")]
Code = Annotated[str, Path(max_length=80)]
PREFIX = "/v1/services/applications"


def _me(p: Principal) -> str:
    assert p.id is not None
    return p.id


def _org(p: Principal) -> str:
    assert p.org_id is not None
    return p.org_id


def _data(body: ActIn) -> dict[str, Any] | None:
    """The corrected form / attachments of a resubmission (refused by the service for other actions)."""
    if body.form is None and body.attachments is None:
        return None
    return {k: v for k, v in (("form", body.form), ("attachments", body.attachments)) if v is not None}


# --- citizen --------------------------------------------------------------------------------------

@router.post(PREFIX, response_model=ApplicationOut, status_code=201)
def submit(body: SubmitIn, db: DbSession, p: Principal = Depends(CITIZEN)) -> ApplicationOut:
    return service.submit(db, citizen_id=_me(p), service_code=body.service_code, form=body.form,
                          attachments=body.attachments, city_code=body.city_code, actor=p)


@router.get(PREFIX, response_model=ApplicationsPage)
def my_applications(db: DbSession, p: Principal = Depends(CITIZEN),
                    limit: int = Query(50, ge=1, le=200)) -> ApplicationsPage:
    return ApplicationsPage(items=service.list_for_citizen(db, citizen_id=_me(p), limit=limit))


@router.post(f"{PREFIX}/attachments", response_model=AttachmentOut, status_code=201)
async def upload(db: DbSession, file: UploadFile = File(...), p: Principal = Depends(CITIZEN)) -> AttachmentOut:
    """A file for a material slot: PDF/JPEG/PNG by its bytes, at most 10 MiB (then bound at submit)."""
    data = await file.read(service.MAX_BYTES + 1)
    if len(data) > service.MAX_BYTES:
        raise AttachmentInvalid(detail=f"larger than {service.MAX_BYTES} bytes", reason="too_large")
    return service.store_attachment(db, citizen_id=_me(p), filename=file.filename or "file", data=data)


@router.get(f"{PREFIX}/attachments/{{attachment_id}}")
def download(attachment_id: AppId, db: DbSession, p: Principal = Depends(READER)) -> Response:
    """The file, for its owner or the handling agency's staff (404 for anyone else)."""
    meta, data = service.read_attachment(db, attachment_id=attachment_id, principal=p)
    return Response(data, media_type=meta.content_type, headers={
        "Content-Disposition": f'attachment; filename="{meta.id}"', "Cache-Control": "no-store",
        "X-Content-Type-Options": "nosniff"})


@router.get(f"{PREFIX}/prefill/{{code}}", response_model=PrefillOut)
def prefill(code: Code, db: DbSession, p: Principal = Depends(CITIZEN)) -> PrefillOut:
    """Values found for the form, and the consent needed to read the rest from certificates."""
    return service.prefill(db, citizen_id=_me(p), service_code=code)


@router.post(f"{PREFIX}/prefill/{{code}}/consent", response_model=PrefillOut)
def grant_consent(code: Code, body: ConsentIn, db: DbSession, p: Principal = Depends(CITIZEN)) -> PrefillOut:
    return service.grant_prefill_consent(db, citizen_id=_me(p), service_code=code, days=body.days)


@router.get(f"{PREFIX}/notices", response_model=list[NoticeOut])
def notices(db: DbSession, p: Principal = Depends(CITIZEN)) -> list[NoticeOut]:
    return service.list_notices(db, citizen_id=_me(p))


@router.post(f"{PREFIX}/notices/{{notice_id}}/read", response_model=NoticeOut)
def read_notice(notice_id: AppId, db: DbSession, p: Principal = Depends(CITIZEN)) -> NoticeOut:
    return service.mark_read(db, citizen_id=_me(p), notice_id=notice_id)


# --- agency staff ---------------------------------------------------------------------------------

@router.get(f"{PREFIX}/org/queue", response_model=ApplicationsPage)
def agency_queue(db: DbSession, p: Principal = Depends(STAFF), state: str | None = Query(None, max_length=30),
                 mine: bool = False, limit: int = Query(100, ge=1, le=500)) -> ApplicationsPage:
    """Open applications of the caller's agency (or those in `state`), overdue first."""
    return ApplicationsPage(items=service.queue(db, agency_org_id=_org(p), state=state,
                                                mine=(p.id or p.org_id) if mine else None, limit=limit))


@router.get(f"{PREFIX}/org/{{application_id}}", response_model=ApplicationOut)
def agency_application(application_id: AppId, db: DbSession, p: Principal = Depends(STAFF)) -> ApplicationOut:
    return service.get_application(db, application_id=application_id, agency_org_id=_org(p), viewer=p)


@router.post(f"{PREFIX}/org/{{application_id}}/actions/{{action}}", response_model=ApplicationOut)
def agency_act(application_id: AppId, action: ActionName, body: ActIn, db: DbSession,
               p: Principal = Depends(STAFF)) -> ApplicationOut:
    """claim, approve, reject (reason), request_info (reason), recommend, send_back — as the workflow says.
    Staff never change the form: a body with `form`/`attachments` is refused (application_action_data_invalid)."""
    return service.act(db, application_id=application_id, action=action, principal=p, reason=body.reason,
                       data=_data(body))


@router.post(f"{PREFIX}/org/{{application_id}}/visits", response_model=ApplicationOut)
def record_visit(application_id: AppId, body: ActIn, db: DbSession, p: Principal = Depends(STAFF)) -> ApplicationOut:
    """The applicant came in person (counted in the zero-trip / one-trip measures)."""
    return service.record_visit(db, application_id=application_id, principal=p, note=body.reason)


# --- citizen, by id (after the fixed paths) -------------------------------------------------------

@router.get(f"{PREFIX}/{{application_id}}", response_model=ApplicationOut)
def my_application(application_id: AppId, db: DbSession, p: Principal = Depends(CITIZEN)) -> ApplicationOut:
    return service.get_application(db, application_id=application_id, citizen_id=_me(p), viewer=p)


@router.post(f"{PREFIX}/{{application_id}}/actions/{{action}}", response_model=ApplicationOut)
def my_act(application_id: AppId, action: ActionName, body: ActIn, db: DbSession,
           p: Principal = Depends(CITIZEN)) -> ApplicationOut:
    """withdraw, resubmit (with `form` / `attachments` corrected), pay — as the workflow says."""
    return service.act(db, application_id=application_id, action=action, principal=p, reason=body.reason,
                       data=_data(body))
