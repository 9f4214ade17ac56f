"""Riders (乘客) and their device certificates (设备证书): the ride-code provisioning.

A citizen's phone generates its own Ed25519 device key and sends the public half; the platform signs
a certificate (transit.ridecode.certificate) binding it to the rider's opaque reference for 24 h.
The rider reference is 8 random bytes: gates and operators see it, only this module maps it to the
citizen. A rider in arrears or on the deny-list gets no certificate.
"""

from __future__ import annotations

import base64
import binascii
import os
from datetime import UTC, datetime, timedelta

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from onecity import clock, outbox
from onecity.audit import service as audit
from onecity.payments.wallet import service as wallet
from onecity.transit.gate import CLOCK_SKEW_S
from onecity.transit.models import TransitDenyEntry, TransitDeviceCertificate, TransitRider
from onecity.transit.ridecode import certificate
from onecity.transit.schemas import CertificateOut, RiderOut
from onecity.transit.service import deny, keys
from onecity.transit.service.errors import DeviceKeyInvalid, InvalidTransitInput, RiderDenied, RiderInArrears

MAX_FARE = 5000  # fen: the most one post-paid ride may cost, carried in the certificate
FLAGS = certificate.FLAG_METRO | certificate.FLAG_BUS
PAYMENT_MODES = ("postpaid", "card")


def rider_of(session: Session, citizen_id: str, *, create: bool = True) -> TransitRider | None:
    """The citizen's rider record, made on first use (a real-name verified citizen with a wallet)."""
    row = session.scalars(select(TransitRider).where(TransitRider.citizen_id == citizen_id)).one_or_none()
    if row is not None or not create:
        return row
    wallet.wallet_account_id(session, citizen_id)  # RealNameRequired for an unverified citizen
    now = clock.now()
    for _ in range(5):
        ref = os.urandom(certificate.RIDER_REF_BYTES).hex()
        try:
            with session.begin_nested():
                row = TransitRider(rider_ref=ref, citizen_id=citizen_id, payment_mode="postpaid", in_arrears=False,
                                   created_at=now, updated_at=now)
                session.add(row)
            return row
        except IntegrityError:
            row = session.scalars(select(TransitRider).where(TransitRider.citizen_id == citizen_id)).one_or_none()
            if row is not None:
                return row  # a concurrent first request made it
    raise RuntimeError("could not draw a fresh rider reference")


def rider(session: Session, citizen_id: str) -> TransitRider:
    row = rider_of(session, citizen_id)
    assert row is not None
    return row


def riders_by_ref(session: Session, refs: set[str]) -> dict[str, TransitRider]:
    if not refs:
        return {}
    return {r.rider_ref: r for r in session.scalars(select(TransitRider).where(TransitRider.rider_ref.in_(refs)))}


def rider_summary(session: Session, citizen_id: str) -> RiderOut:
    r = rider(session, citizen_id)
    return RiderOut(rider_ref=r.rider_ref, payment_mode=r.payment_mode, in_arrears=r.in_arrears,
                    denied=deny.is_denied(session, kind="rider", value=r.rider_ref))


def decode_device_key(text: str) -> bytes:
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise DeviceKeyInvalid() from exc
    if len(raw) != 32:
        raise DeviceKeyInvalid()
    try:
        Ed25519PublicKey.from_public_bytes(raw)
    except ValueError as exc:
        raise DeviceKeyInvalid() from exc
    return raw


def issue_certificate(session: Session, *, citizen_id: str, device_public: bytes,
                      not_before: int | None = None, session_id: str | None = None) -> CertificateOut:
    """Sign a device certificate valid 24 h from now (or from `not_before`, epoch seconds: the demo
    seed's phone, certified on the days it rode). Refused (RiderInArrears, RiderDenied) for a rider who
    owes fares or is on the deny-list, and for a device key reported lost. `session_id` is the sign-in
    session asking (the ride page's): signing it out denies the certificate (`deny_signed_out`)."""
    r = rider(session, citizen_id)
    if r.in_arrears:
        raise RiderInArrears()
    if deny.is_denied(session, kind="rider", value=r.rider_ref):
        raise RiderDenied()
    lost = session.scalars(select(TransitDeviceCertificate.id).where(
        TransitDeviceCertificate.device_public == device_public,
        TransitDeviceCertificate.status == "revoked")).first()
    if lost is not None:
        raise RiderDenied("this device key was reported lost")
    signer = keys.signing_key(session)
    now = int(clock.now().timestamp()) if not_before is None else not_before
    for _ in range(5):
        serial = int.from_bytes(os.urandom(6), "big")
        if session.scalars(select(TransitDeviceCertificate.id).where(
                TransitDeviceCertificate.serial == serial)).first() is None:
            break
    raw = certificate.issue_certificate(signer, serial=serial, rider_ref=bytes.fromhex(r.rider_ref),
                                        device_public=device_public, not_before=now, max_fare=MAX_FARE, flags=FLAGS)
    cert = certificate.parse_certificate(raw)
    nb, na = datetime.fromtimestamp(cert.not_before, UTC), datetime.fromtimestamp(cert.not_after, UTC)
    session.add(TransitDeviceCertificate(serial=serial, rider_ref=r.rider_ref, device_public=device_public,
                                         kid=signer.kid.hex(), not_before=nb, not_after=na, status="active",
                                         issued_at=clock.now(), session_id=session_id))
    outbox.emit(session, "transit.certificate_issued", {"rider_ref": r.rider_ref, "serial": serial,
                                                        "kid": signer.kid.hex(), "not_after": na.isoformat()})
    session.flush()
    return CertificateOut(certificate=base64.b64encode(raw).decode(), serial=serial, kid=signer.kid.hex(),
                          rider_ref=r.rider_ref, not_before=nb, not_after=na, max_fare=MAX_FARE, flags=FLAGS)


def report_device_lost(session: Session, *, citizen_id: str, serial: int) -> bool:
    """Revoke every certificate of the phone that holds `serial` and deny them at the gates."""
    r = rider(session, citizen_id)
    row = session.scalars(select(TransitDeviceCertificate).where(TransitDeviceCertificate.serial == serial,
                                                                 TransitDeviceCertificate.rider_ref == r.rider_ref)
                          ).one_or_none()
    if row is None:
        raise InvalidTransitInput("no such certificate of yours")
    audit.record(session, actor=citizen_id, action="transit.device_lost", subject_citizen_id=citizen_id,
                 resource=f"transit/certificate/{serial}", reason="挂失乘车设备 phone reported lost")
    changed = False
    for c in session.scalars(select(TransitDeviceCertificate).where(
            TransitDeviceCertificate.device_public == row.device_public)):
        if c.status != "revoked":
            c.status = "revoked"
        if c.not_after > clock.now():
            changed |= deny.add(session, kind="serial", value=str(c.serial), reason="lost")
    return changed


def deny_signed_out(session: Session, *, session_ids: list[str]) -> list[int]:
    """Sign-out (退出登录): the certificates those sessions asked for stop making rides. A phone keeps
    its certificate offline, so a copy left in a shared browser would still open gates and charge the
    signed-out citizen; its serial goes on the deny-list (reason "signed_out") and gates drop it with
    their next delta. Certificates already expired are left off (gates refuse them anyway). Returns the
    serials denied now; a second run denies nothing more."""
    if not session_ids:
        return []
    cutoff = clock.now() - timedelta(seconds=CLOCK_SKEW_S)
    denied = []
    for c in session.scalars(select(TransitDeviceCertificate).where(
            TransitDeviceCertificate.session_id.in_(session_ids)).order_by(TransitDeviceCertificate.id)):
        if c.status == "active":
            c.status = "signed_out"
        if c.not_after > cutoff and deny.add(session, kind="serial", value=str(c.serial), reason="signed_out"):
            denied.append(c.serial)
    session.flush()
    return denied


def set_payment_mode(session: Session, *, citizen_id: str, mode: str) -> RiderOut:
    if mode not in PAYMENT_MODES:
        raise InvalidTransitInput(f"payment mode is one of {PAYMENT_MODES}")
    r = rider(session, citizen_id)
    if r.payment_mode != mode:
        r.payment_mode, r.updated_at = mode, clock.now()
        outbox.emit(session, "transit.payment_mode_changed", {"rider_ref": r.rider_ref, "mode": mode})
    session.flush()
    return rider_summary(session, citizen_id)


def prune_expired_devices(session: Session) -> int:
    """Take lost phones off the deny-list once every certificate they held has expired (a gate refuses
    those anyway), so the list gates hold stays short. Returns how many came off."""
    cutoff = clock.now() - timedelta(seconds=CLOCK_SKEW_S)
    serials = [int(v) for v in session.scalars(select(TransitDenyEntry.value).where(TransitDenyEntry.kind == "serial"))]
    if not serials:
        return 0
    expired = session.scalars(select(TransitDeviceCertificate.serial).where(
        TransitDeviceCertificate.serial.in_(serials), TransitDeviceCertificate.not_after < cutoff))
    return sum(deny.remove(session, kind="serial", value=str(s)) for s in expired)
