"""Signed requests: how an organisation's server calls OneCity with its API key.

An organisation registers a public key (Ed25519, or RSA of at least 2048 bits, PEM) and receives an
app id (`app_…`). Each request then carries four headers:

    X-OneCity-App-Id      the app id
    X-OneCity-Timestamp   unix time in seconds (decimal), within ±`signature_max_skew_seconds` (300)
                          of the platform's clock
    X-OneCity-Nonce       16-64 characters of [A-Za-z0-9._~-], never used before by this app id
    X-OneCity-Signature   base64 of the signature over the canonical string below: Ed25519, or
                          RSASSA-PKCS1-v1_5 with SHA-256 for RSA keys

The canonical string is six lines joined by "\\n" (no trailing newline):

    METHOD            upper case: GET, POST, …
    PATH              the URL path, percent-decoded, then percent-encoded again leaving only
                      A-Z a-z 0-9 - _ . ~ and / unescaped (so /v1/orgs/me stays /v1/orgs/me)
    QUERY             the query string's pairs, each name and value decoded ('+' is a space) and
                      re-encoded as for PATH but with / escaped too; pairs written name=value,
                      sorted by name then value, joined by '&'; empty when there is no query
    TIMESTAMP         exactly the header's value
    NONCE             exactly the header's value
    BODY-SHA256       lower-case hex SHA-256 of the raw body bytes (of nothing for an empty body:
                      e3b0c442…b855)

Worked example (tests/identity/orgs/test_signatures.py): POST https://city.example/v1/orders?b=2&a=x%20y
with body `{"n":1}` at 1767225600 with nonce `0123456789abcdef` signs

    POST
    /v1/orders
    a=x%20y&b=2
    1767225600
    0123456789abcdef
    2bfd14f43d17fc7cea24e0917a8879b4b2f880b8baeec1b9d90fbaad655e71bd

The platform refuses, each with its own problem code: missing headers (`signature_missing`), a
malformed timestamp or nonce (`signature_malformed`), an unknown app id (`app_id_unknown`), a revoked
key (`api_key_revoked`), a timestamp outside the window (`signature_timestamp_skew`), a signature
that does not verify (`signature_invalid`), and a nonce seen before (`nonce_reused`).

`sign_request` below is the reference client; `onecity keys generate` makes an Ed25519 key pair.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from urllib.parse import parse_qsl, quote, unquote, urlsplit

from onecity import clock
from onecity.crypto import signing

APP_ID = "X-OneCity-App-Id"
TIMESTAMP = "X-OneCity-Timestamp"
NONCE = "X-OneCity-Nonce"
SIGNATURE = "X-OneCity-Signature"
HEADERS = (APP_ID, TIMESTAMP, NONCE, SIGNATURE)

NONCE_RE = re.compile(r"^[A-Za-z0-9._~-]{16,64}$")
TIMESTAMP_RE = re.compile(r"^[0-9]{1,12}$")
_UNRESERVED = "-_.~"


def canonical_path(decoded_path: str) -> str:
    return quote(decoded_path or "/", safe="/" + _UNRESERVED)


def canonical_query(query: str) -> str:
    pairs = parse_qsl(query, keep_blank_values=True)
    encoded = sorted((quote(k, safe=_UNRESERVED), quote(v, safe=_UNRESERVED)) for k, v in pairs)
    return "&".join(f"{k}={v}" for k, v in encoded)


def body_sha256(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def canonical_string(*, method: str, decoded_path: str, query: str, timestamp: str, nonce: str,
                     body: bytes) -> str:
    """The exact text that is signed; `decoded_path` is the path as the server sees it."""
    return "\n".join([
        method.upper(), canonical_path(decoded_path), canonical_query(query), timestamp, nonce, body_sha256(body),
    ])


def sign_request(
    private_pem: str,
    app_id: str,
    method: str,
    url: str,
    body: bytes | str | None = None,
    *,
    timestamp: int | None = None,
    nonce: str | None = None,
) -> dict[str, str]:
    """The four signature headers for one request (`url` may be absolute or just path?query).

    Uses the platform clock for the timestamp (so tests that move `onecity.clock` stay in step) and a
    fresh random nonce unless given.
    """
    raw = body.encode() if isinstance(body, str) else (body or b"")
    parts = urlsplit(url)
    ts = str(timestamp if timestamp is not None else int(clock.now().timestamp()))
    n = nonce or secrets.token_urlsafe(24)
    message = canonical_string(method=method, decoded_path=unquote(parts.path), query=parts.query,
                               timestamp=ts, nonce=n, body=raw)
    return {APP_ID: app_id, TIMESTAMP: ts, NONCE: n, SIGNATURE: signing.sign(private_pem, message.encode())}
