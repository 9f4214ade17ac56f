"""The face verification page (/app/face?act=…&next=…): the phone's camera, the head-movement
instructions, and the result. The page's script asks the JSON API for a challenge, captures frames
to a canvas during each step and posts them; on a pass it offers to continue to `next` with the
grant (`face_grant=<id>`) appended."""

from __future__ import annotations

import re

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from onecity.authz import Principal, allow_page
from onecity.i18n import negotiate, t
from onecity.identity.face.schemas import ACT_PATTERN
from onecity.identity.face.service import REASON_TEXT
from onecity.web.templating import render

router = APIRouter(include_in_schema=False)

DEFAULT_ACT = "identity.face_check"
# Capture schedule of the page (milliseconds): each step lasts STEP_MS; frames are taken at these
# offsets into it, once the person had time to move.
STEP_MS = 2500
CAPTURE_AT_MS = (1000, 1400, 1800, 2200)


def _safe_next(target: str | None) -> str | None:
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return None


@router.get("/app/face", response_class=HTMLResponse)
def face_page(request: Request, principal: Principal = Depends(allow_page("citizen"))) -> Response:
    lang = negotiate(request)
    act = request.query_params.get("act") or DEFAULT_ACT
    if not re.fullmatch(ACT_PATTERN, act) or len(act) > 64:
        act = DEFAULT_ACT
    act_label = t(lang, f"face.act.{act}")
    messages = {key: t(lang, f"face.{key}") for key in (
        "step.center", "step.turn_left", "step.turn_right", "checking", "result.pass", "result.fail",
        "score", "camera_error", "error", "grant_until", "preparing", "hold_still",
    )}
    messages.update({f"reason.{code}": t(lang, f"face.reason.{code}") for code in REASON_TEXT if code})
    return render(
        request,
        "face_verify.html",
        act=act,
        act_label=act_label if act_label != f"face.act.{act}" else act,
        verified=principal.real_name_verified,
        next_url=_safe_next(request.query_params.get("next")),
        messages=messages,
        schedule={"step_ms": STEP_MS, "capture_at_ms": list(CAPTURE_AT_MS)},
    )
