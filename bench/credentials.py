"""Offline verification of driving-licence QR presentations per second, on one core, against raw
Ed25519 verifications per second measured in the same run.

    .venv/bin/python bench/credentials.py [--seconds 3] [--rounds 3]

Issues a realistic electronic driving licence (tests/credentials/samples.py: photo-less, every field
the licence shows), lets the holder present it as a QR text (holder signature over a timestamp and
the certificate hash), and times `presentation.verify_presentation` on a pool of such texts (each
verification: Base45 + zlib + CBOR decoding, two Ed25519 verifications, validity, freshness and a
status-list look-up). Raw Ed25519 verification is timed over the same message size, alternating with
it for `--rounds` rounds; the best round of each counts. Also measures the QR (segno, error level Q)
of the full licence and of its hotel and traffic-police views.

Last line: one JSON object with verifications_per_s, ed25519_verifies_per_s, ratio (target >= 0.4: a
presentation carries two signatures), qr_chars (target <= 700), qr_version (target <= 20),
payload_bytes (the CBOR presentation), and the views' figures.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import segno  # noqa: E402
from rates import ed25519_reference, pin_one_core, rate  # noqa: E402

from onecity.credentials import cwt, presentation  # noqa: E402
from tests.credentials.samples import (  # noqa: E402
    FIELD_NAMES,
    ISSUED_AT,
    ISSUER_ID,
    DictStatus,
    DictTrust,
    issue_driving_licence,
)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=3.0)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    pin_one_core()

    issued = [issue_driving_licence() for _ in range(4)]
    trust = DictTrust(*[(ISSUER_ID, i.issuer_key) for i in issued])
    status = DictStatus()
    now = ISSUED_AT + 3600
    texts = []
    for i in issued:
        for k in range(16):
            texts.append(
                presentation.present(
                    i.full,
                    holder_alg=i.holder_key.alg,
                    holder_private=i.holder_key.private,
                    holder_public=i.holder_key.public,
                    now=now - k,
                )
            )

    def verify_one(text: str) -> None:
        v = presentation.verify_presentation(text, trust=trust, status=status, now=now, types=FIELD_NAMES)
        if not v.ok:
            raise SystemExit(f"verification failed: {v.reason}")

    # raw Ed25519 over a message of the size the issuer signs (the Sig_structure)
    ed25519_rate = ed25519_reference(len(cwt.parse(issued[0].full).sig_structure()), keys=4, per_key=16)

    best_v = best_e = 0.0
    for r in range(args.rounds):
        v_rate = rate(verify_one, texts, args.seconds)
        e_rate = ed25519_rate(args.seconds)
        best_v, best_e = max(best_v, v_rate), max(best_e, e_rate)
        print(f"round {r + 1}: {v_rate:,.0f} presentations/s, {e_rate:,.0f} Ed25519 verifies/s")

    sizes = {}
    for name, cert in (
        ("full", issued[0].full),
        ("hotel", issued[0].hotel),
        ("traffic_police", issued[0].traffic_police),
    ):
        text = texts[0] if name == "full" else presentation.present(
            cert, holder_alg="EdDSA", holder_private=issued[0].holder_key.private,
            holder_public=issued[0].holder_key.public, now=now,
        )  # fmt: skip
        qr = segno.make_qr(text, error="q", boost_error=False)
        sizes[name] = {"chars": len(text), "version": qr.version, "payload_bytes": len(cwt.decode_qr(text))}
        print(f"{name:>15}: {len(text)} QR characters, version {qr.version}-Q ({qr.mode}), "
              f"{sizes[name]['payload_bytes']} CBOR bytes, certificate {len(cert)} bytes")  # fmt: skip

    print(
        json.dumps(
            {
                "verifications_per_s": round(best_v),
                "ed25519_verifies_per_s": round(best_e),
                "ratio": round(best_v / best_e, 3),
                "qr_chars": sizes["full"]["chars"],
                "qr_version": sizes["full"]["version"],
                "payload_bytes": sizes["full"]["payload_bytes"],
                "hotel_qr_chars": sizes["hotel"]["chars"],
                "hotel_qr_version": sizes["hotel"]["version"],
                "traffic_police_qr_chars": sizes["traffic_police"]["chars"],
                "traffic_police_qr_version": sizes["traffic_police"]["version"],
            }
        )
    )


if __name__ == "__main__":
    main()
