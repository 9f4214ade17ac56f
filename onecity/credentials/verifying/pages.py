"""The verifier page (验证证照): GET/POST /verify. Paste a presentation's text or upload a picture of
its QR; a big green or red verdict with its reason (中文 and English) and only the disclosed fields.

Public and read-only (it changes nothing, so there is no session and no CSRF token to bind a form to).
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import Response

from onecity.authz import PUBLIC, Principal
from onecity.credentials.verifier import MAX_IMAGE_BYTES, decode_qr_image, verdict_json
from onecity.credentials.verifying.api import verifier_org
from onecity.credentials.verifying.online import MAX_TEXT, verify_online
from onecity.deps import DbSession
from onecity.i18n import negotiate, t
from onecity.web.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/verify")
def verify_form(request: Request, principal: Principal = Depends(PUBLIC)) -> Response:
    return render(request, "verify_page.html", verdict=None, text="")


@router.post("/verify")
async def verify_submit(
    request: Request,
    db: DbSession,
    principal: Principal = Depends(PUBLIC),
    text: str = Form(""),
    image: UploadFile | None = File(None),
) -> Response:
    lang = negotiate(request)
    text = text[:MAX_TEXT]
    if image is not None and image.filename:
        data = await image.read(MAX_IMAGE_BYTES + 1)
        decoded = decode_qr_image(data)
        if decoded is None:
            return render(request, "verify_page.html", status_code=400, verdict=None, text="",
                          error=t(lang, "verify.no_qr"))
        text = decoded
    if not text.strip():
        return render(request, "verify_page.html", status_code=400, verdict=None, text="",
                      error=t(lang, "verify.empty"))
    verdict = verify_online(db, text, org_id=verifier_org(principal))
    return render(request, "verify_page.html", verdict=verdict_json(verdict), text="")
