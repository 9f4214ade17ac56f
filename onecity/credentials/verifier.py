"""A small offline verifier a counter, hotel or police app embeds (验证器).

    v = Verifier(trust_list_text, platform_public_key, status_lists={uri: jwt_text})
    verdict = v.verify(qr_text)            # presentation.Verdict; never raises
    verdict.ok, verdict.reason, verdict.message, verdict.claims

It trusts nothing it cannot check: the trust list must verify under the pinned platform key (else the
`trust` module's TrustList* error is raised by the constructor), and a status list is kept only when
its signature verifies under a key of the trust list. Everything then works without a network.

On disk (`Verifier.from_dir`) a cache directory holds `trust-list.jwt`, `platform.pub` (the base64 of
the 32-byte Ed25519 public key, as `onecity keys trust-list` prints it) and any status-list tokens
under `status/` (`*.jwt`, or `*.cwt`: the CWT form, which is how an SM2 issuer publishes its list);
the caller refreshes the files (the lists carry their own time to live).
"""

from __future__ import annotations

import base64
from collections.abc import Iterable, Mapping
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from onecity import clock
from onecity.credentials import algorithms, jose, presentation, sdjwt, status_list, trust
from onecity.credentials.types import load_types

TRUST_LIST_FILE = "trust-list.jwt"
PLATFORM_KEY_FILE = "platform.pub"
STATUS_DIR = "status"


@lru_cache
def field_names() -> dict[int, dict[int, str]]:
    """type code -> {claim key: field name}, from the type schemas."""
    return {t.code: {f.key: f.name for f in t.fields} for t in load_types().values()}


@lru_cache
def _labels() -> dict[int | str, tuple[str, str, dict[str, tuple[str, str]]]]:
    """By type code (what a CWT carries) and by SD-JWT `vct`."""
    out: dict[int | str, tuple[str, str, dict[str, tuple[str, str]]]] = {}
    for t in load_types().values():
        out[t.code] = out[t.vct] = (t.name.zh, t.name.en, {f.name: (f.label.zh, f.label.en) for f in t.fields})
    return out


def _label_entry(type_id: Any) -> tuple[str, str, dict[str, tuple[str, str]]] | None:
    return _labels().get(type_id) if isinstance(type_id, int | str) and not isinstance(type_id, bool) else None


def type_label(type_id: Any) -> tuple[str, str] | None:
    """(zh, en) name of a certificate type by its code (or its SD-JWT vct), or None."""
    entry = _label_entry(type_id)
    return (entry[0], entry[1]) if entry else None


def labelled_claims(verdict: presentation.Verdict) -> list[tuple[str, str, str, Any]]:
    """The disclosed claims only (empty unless the verdict is ok), as (name, zh label, en label, value)."""
    if not verdict.ok:
        return []
    entry = _label_entry(verdict.type_id)
    labels = entry[2] if entry else {}
    out = []
    for name, value in verdict.claims.items():
        zh, en = labels.get(name, (name, name))
        out.append((name, zh, en, value))
    return out


def parse_platform_key(text: str | bytes) -> bytes:
    """A pinned platform public key: 32 raw bytes, or their base64 / hex text."""
    if isinstance(text, bytes) and len(text) == 32:
        return text
    s = text.decode() if isinstance(text, bytes) else text
    s = s.strip()
    try:
        raw = bytes.fromhex(s) if len(s) == 64 else base64.b64decode(s + "=" * (-len(s) % 4), altchars=b"-_"
                                                                        if ("-" in s or "_" in s) else None)
    except ValueError as exc:
        raise ValueError("the platform key is 32 bytes in base64 or hex") from exc
    if len(raw) != 32:
        raise ValueError("the platform key is 32 bytes in base64 or hex")
    return raw


class Verifier:
    """Verifies QR presentations (and SD-JWT presentations) offline against a pinned trust list."""

    def __init__(self, trust_list_text: str, platform_public_key: bytes | Iterable[bytes],
                 status_lists: Mapping[str, str | bytes] | None = None, *, now: datetime | None = None) -> None:
        at = now or clock.now()
        self.trust_list = trust.verify_trust_list(trust_list_text, platform_public_key, now=at)
        self.trust = trust.TrustStore(self.trust_list)
        self.status = status_list.StatusCache()
        self.rejected_status_lists: list[str] = []
        for uri, text in (status_lists or {}).items():
            if not self.add_status_list(text, uri=uri, fetched_at=at):
                self.rejected_status_lists.append(uri)

    @classmethod
    def from_dir(cls, directory: Path | str, *, now: datetime | None = None) -> Verifier:
        d = Path(directory)
        key = parse_platform_key((d / PLATFORM_KEY_FILE).read_text())
        lists: dict[str, str | bytes] = {}
        status_dir = d / STATUS_DIR
        if status_dir.is_dir():
            for i, f in enumerate(sorted(status_dir.glob("*.jwt"))):
                lists[f"file:{i}:{f.name}"] = f.read_text()
            for i, f in enumerate(sorted(status_dir.glob("*.cwt"))):
                lists[f"file:cwt{i}:{f.name}"] = f.read_bytes()
        return cls((d / TRUST_LIST_FILE).read_text(), key, lists, now=now)

    def add_status_list(self, token: str | bytes, *, uri: str | None = None,
                        fetched_at: datetime | None = None) -> bool:
        """Cache a Status List Token signed by a trusted issuer key — JWT text, or CWT bytes (the form
        an SM2 issuer publishes); False (not cached) otherwise. `uri` is checked against the token's
        `sub` unless it starts with `file:` (read from disk)."""
        at = fetched_at or clock.now()
        if isinstance(token, bytes):
            return self._add_cwt_status_list(token, uri=uri, at=at)
        try:
            header, _, _, _ = jose.parse_compact(token.strip())
            signer = self.trust.lookup(header.get("kid"))  # type: ignore[arg-type]
            if signer is None:
                return False
            key = jose.verifying_key(signer.alg, signer.public_key)
            expected = None if uri is None or uri.startswith("file:") else uri
            parsed = status_list.verify_jwt(token.strip(), key=key, now=at, expected_uri=expected)
        except (status_list.StatusListError, jose.JoseError, ValueError, TypeError, KeyError, AttributeError):
            return False
        self.status.put(parsed, fetched_at=at)
        return True

    def _add_cwt_status_list(self, token: bytes, *, uri: str | None, at: datetime) -> bool:
        try:
            kid = status_list.cwt_kid(token)
            signer = self.trust.lookup(kid.decode("ascii", "replace")) if kid is not None else None
            if signer is None:
                return False
            expected_alg = algorithms.COSE_ALGS[signer.alg]

            def check(cose_alg: int, message: bytes, signature: bytes) -> bool:
                return cose_alg == expected_alg and algorithms.verify(signer.alg, signer.public_key, message,
                                                                      signature)

            expected = None if uri is None or uri.startswith("file:") else uri
            parsed = status_list.verify_cwt_with(token, check=check, now=at, expected_uri=expected)
        except (status_list.StatusListError, ValueError, TypeError, KeyError, AttributeError):
            return False
        self.status.put(parsed, fetched_at=at)
        return True

    def verify(self, text: str, *, now: datetime | None = None, nonce: bytes | None = None,
               audience: str | None = None, sd_nonce: str | None = None) -> presentation.Verdict:
        """The verdict for a QR presentation text (or an SD-JWT presentation); never raises.

        For an SD-JWT, `audience` and `sd_nonce` are what the verifier asked the holder for; left None
        (offline, no challenge sent) the key-binding JWT's own are accepted and only its age counts."""
        at = now or clock.now()
        if not isinstance(text, str):
            return presentation.Verdict(False, "malformed")
        text = text.strip()
        if "~" in text:
            return self._verify_sdjwt(text, at, audience, sd_nonce)
        status = _AtTime(self.status, at)
        return presentation.verify_presentation(text, trust=self.trust, status=status, now=at, nonce=nonce,
                                                types=field_names())

    def _verify_sdjwt(self, text: str, at: datetime, aud: str | None, nonce: str | None) -> presentation.Verdict:
        return verify_sdjwt(text, store=self.trust, status=self.status, at=at, aud=aud, nonce=nonce)


def verify_sdjwt(text: str, *, store: trust.TrustStore, status: Any, at: datetime, aud: str | None,
                 nonce: str | None) -> presentation.Verdict:
    """The verdict for an SD-JWT VC presentation (with its KB-JWT) against a trust store and a status
    cache (anything with `status_of(status_claim, now=…)`, e.g. `status_list.StatusCache`); never raises.
    `aud`/`nonce` None accept the KB-JWT's own (offline, no challenge sent): only its age counts."""
    def issuer_key(iss: str, header: Mapping[str, Any]) -> Any:
        signer = store.lookup(header.get("kid"))  # type: ignore[arg-type]
        if signer is None or signer.issuer_id != iss or not signer.covers(at):
            return None
        return jose.verifying_key(signer.alg, signer.public_key)

    if aud is None or nonce is None:
        kb_aud, kb_nonce = _kb_challenge(text)
        aud = kb_aud if aud is None else aud
        nonce = kb_nonce if nonce is None else nonce
    v = sdjwt.verify(text, issuer_key=issuer_key, now=at, aud=aud, nonce=nonce, status_cache=status)
    checked = v.ok and v.status is not None
    if v.reason == "status_unknown":  # offline without a fresh list: valid, status not checked
        v = sdjwt.verify(text, issuer_key=issuer_key, now=at, aud=aud, nonce=nonce)
        checked = False
    reason = v.reason if v.reason in presentation.MESSAGES else _SDJWT_REASONS.get(v.reason, "malformed")
    return presentation.Verdict(v.ok, reason, issuer=v.issuer, type_id=v.vct,
                                claims=dict(v.claims) if v.ok else {}, status_checked=checked)


_SDJWT_REASONS = {"suspended": "revoked", "wrong_audience": "stale_presentation", "wrong_nonce": "stale_presentation",
                  "missing_key_binding": "wrong_holder"}


def _kb_challenge(text: str) -> tuple[str | None, str | None]:
    """The aud and nonce a KB-JWT carries (unverified: sdjwt.verify checks its signature)."""
    try:
        _, claims, _, _ = jose.parse_compact(text.rsplit(sdjwt.SEPARATOR, 1)[1])
    except (jose.JoseError, ValueError, IndexError, TypeError):
        return None, None
    aud, nonce = claims.get("aud"), claims.get("nonce")
    return (aud if isinstance(aud, str) else None), (nonce if isinstance(nonce, str) else None)


class _AtTime:
    """The status cache asked at the verification time (not the wall clock)."""

    def __init__(self, cache: status_list.StatusCache, at: datetime) -> None:
        self.cache, self.at = cache, at

    def is_revoked(self, uri: str, idx: int) -> bool | None:
        return self.cache.is_revoked(uri, idx, now=self.at)


MAX_IMAGE_BYTES = 10 * 1024 * 1024


def decode_qr_image(data: bytes) -> str | None:
    """The text of the first QR code in an image (PNG, JPEG, …) with zxing-cpp, or None."""
    import io

    import zxingcpp
    from PIL import Image, UnidentifiedImageError

    if not data or len(data) > MAX_IMAGE_BYTES:
        return None
    try:
        opened = Image.open(io.BytesIO(data))
        opened.load()
        image = opened.convert("L")
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        return None
    if max(image.size) > 2000:
        image.thumbnail((2000, 2000))
    for result in zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode)):
        if result.valid and result.text:
            return str(result.text)
    return None


def verdict_json(verdict: presentation.Verdict) -> dict[str, Any]:
    """A verdict as the API and `onecity verify --json` give it: only what was disclosed."""
    zh, en = verdict.message
    name = type_label(verdict.type_id)
    return {
        "ok": verdict.ok,
        "reason": verdict.reason,
        "message": {"zh-CN": zh, "en": en},
        "issuer": verdict.issuer,
        "type": verdict.type_id,
        "type_name": {"zh-CN": name[0], "en": name[1]} if name else None,
        "view": verdict.view,
        "claims": [{"name": n, "label": {"zh-CN": lz, "en": le}, "value": _jsonable(v)}
                   for n, lz, le, v in labelled_claims(verdict)],
        "expires_at": verdict.expires_at if verdict.ok else None,
        "status_checked": verdict.status_checked,
    }


def _jsonable(value: Any) -> Any:
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    return str(value)
