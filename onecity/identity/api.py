"""JSON API of citizen accounts: one-time codes, sign-in, sessions, the profile, real-name verification."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request, Response

from onecity.authz import Kind, Principal, allow
from onecity.deps import DbSession
from onecity.i18n import negotiate
from onecity.identity import service, sessions
from onecity.identity.schemas import (
    CitizenProfile,
    CitizenSummary,
    LoginRequest,
    LoginResult,
    OtpRequest,
    OtpRequested,
    PasswordChange,
    RealNameRequest,
    SessionInfo,
)
from onecity.identity.web_session import (
    clear_session_cookie,
    client_ip,
    keeping_recorded_failures,
    set_session_cookie,
)

router = APIRouter(tags=["identity"])

SIGNED_IN_KINDS: tuple[Kind, ...] = ("citizen", "staff", "admin")


@router.post("/v1/auth/otp", status_code=202, response_model=OtpRequested)
def request_otp(
    body: OtpRequest,
    request: Request,
    db: DbSession,
    principal: Principal = Depends(allow("anonymous", "citizen")),
) -> OtpRequested:
    """Send a 6-digit one-time code by SMS (`login` signs in, or signs up a new number)."""
    return service.request_otp(db, mobile=body.mobile, purpose=body.purpose, ip=client_ip(request))


@router.post("/v1/auth/login", response_model=LoginResult, response_model_exclude_none=True)
def login(
    body: LoginRequest,
    request: Request,
    response: Response,
    db: DbSession,
    principal: Principal = Depends(allow("anonymous", "citizen")),
) -> LoginResult:
    """Sign in with a code (signing up on first use) or a password. `token_type` "cookie" sets the
    HTTP-only web session cookie; "bearer" returns a token for the Authorization header."""
    with keeping_recorded_failures(db):
        if body.code is not None:
            outcome = service.sign_in_with_otp(db, mobile=body.mobile, code=body.code, language=negotiate(request))
            citizen, signed_up = outcome.citizen, outcome.signed_up
        else:
            assert body.password is not None
            citizen, signed_up = service.sign_in_with_password(db, mobile=body.mobile, password=body.password), False
    token, row = sessions.create_session(
        db, kind="citizen", subject_id=citizen.public_id, credential=body.token_type,
        label=body.label, user_agent=request.headers.get("user-agent"),
    )
    bearer = body.token_type == "bearer"  # noqa: S105 - a token kind, not a secret
    if not bearer:
        set_session_cookie(response, token)
    return LoginResult(
        citizen=service.citizen_profile(db, citizen.public_id),
        signed_up=signed_up,
        session=sessions.session_info(row, row.public_id),
        token=token if bearer else None,
    )


@router.post("/v1/auth/logout", status_code=204)
def logout(
    request: Request,
    db: DbSession,
    principal: Principal = Depends(allow(*SIGNED_IN_KINDS)),
) -> Response:
    """End the session used for this request (and clear the cookie)."""
    assert principal.id is not None and principal.session_id is not None
    sessions.revoke_session(db, subject_id=principal.id, session_id=principal.session_id)
    response = Response(status_code=204)
    clear_session_cookie(response)
    return response


@router.get("/v1/auth/sessions", response_model=list[SessionInfo])
def list_sessions(db: DbSession, principal: Principal = Depends(allow(*SIGNED_IN_KINDS))) -> list[SessionInfo]:
    """The caller's live sessions (web and API), newest first; `current` marks this one."""
    assert principal.id is not None
    return [sessions.session_info(r, principal.session_id) for r in sessions.list_sessions(db, subject_id=principal.id)]


@router.delete("/v1/auth/sessions/{session_id}", status_code=204)
def revoke_session(
    session_id: str, db: DbSession, principal: Principal = Depends(allow(*SIGNED_IN_KINDS))
) -> Response:
    """Sign one of your sessions out (a lost phone, an old API token)."""
    assert principal.id is not None
    sessions.revoke_session(db, subject_id=principal.id, session_id=session_id)
    return Response(status_code=204)


@router.get("/v1/me", response_model=CitizenProfile)
def me(db: DbSession, principal: Principal = Depends(allow("citizen"))) -> CitizenProfile:
    """Your account, personal data masked."""
    assert principal.id is not None
    return service.citizen_profile(db, principal.id)


@router.post("/v1/me/password", status_code=204)
def change_password(
    body: PasswordChange, db: DbSession, principal: Principal = Depends(allow("citizen"))
) -> Response:
    """Set a password (first time), or change it with the current one or a `password_reset` code.
    A change signs out every other session."""
    assert principal.id is not None
    with keeping_recorded_failures(db):
        had = service.citizen_profile(db, principal.id).has_password
        service.set_password(db, citizen_id=principal.id, password=body.password,
                             current_password=body.current_password, code=body.code)
    if had:
        sessions.revoke_all(db, subject_id=principal.id, except_session_id=principal.session_id)
    return Response(status_code=204)


@router.post("/v1/me/real-name", response_model=CitizenSummary)
def verify_real_name(
    body: RealNameRequest, db: DbSession, principal: Principal = Depends(allow("citizen"))
) -> CitizenSummary:
    """Real-name verification: your name and resident ID number, checked against the city's registry."""
    assert principal.id is not None
    with keeping_recorded_failures(db):
        return service.verify_real_name(db, citizen_id=principal.id, name=body.name, id_number=body.id_number,
                                        actor=principal)
