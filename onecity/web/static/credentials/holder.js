/* OneCity certificate wallet, the holder's side in the browser (证照夹).
 *
 * - The holder key: WebCrypto Ed25519, generated non-extractable and kept (as a CryptoKey) in
 *   IndexedDB, one per citizen; only its public half ever leaves the page.
 * - Claiming (OpenID4VCI-style): offer -> Token Endpoint (pre-authorised code) -> Credential Endpoint
 *   with a JWT proof of possession (typ openid4vci-proof+jwt, jwk header, aud, iat, c_nonce).
 * - Showing: the presentation of onecity/credentials/presentation.py, built here byte for byte:
 *   CBOR [certificate, ts, holder_hint, holder_sig], the signature over
 *   CBOR ["OC1-show", ts, SHA-256(certificate), holder_hint, null]; then zlib: the server's
 *   `deflate_prefix` of the certificate (it holds the preset dictionary, which CompressionStream
 *   cannot use) + a CompressionStream("deflate-raw") final block of the rest + Adler-32; Base45; "OC1:".
 * - The certificates, views and prefixes are cached in IndexedDB, so showing works offline after load.
 *   Timestamps come from the server's clock as last seen (offset kept in localStorage).
 * The bytes, Base45, compression, IndexedDB, key and QR helpers are ../device.js (loaded first).
 */
(function () {
  "use strict";

  const D = window.OneCityDevice;
  const enc = new TextEncoder();
  const db = D.database("onecity-wallet", ["keys", "certs"]);
  const clock = D.serverClock("oc");
  const concat = D.concat, b64urlEncode = D.b64urlEncode, b64urlDecode = D.b64decode, b45encode = D.b45encode;

  // ------------------------------------------------------------------ CBOR (the subset presentations use)
  function cborHead(major, n) {
    const m = major << 5;
    if (n < 24) return Uint8Array.of(m | n);
    if (n < 0x100) return Uint8Array.of(m | 24, n);
    if (n < 0x10000) return Uint8Array.of(m | 25, n >> 8, n & 255);
    if (n < 0x100000000) return Uint8Array.of(m | 26, (n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255);
    const hi = Math.floor(n / 0x100000000), lo = n >>> 0;
    return concat([Uint8Array.of(m | 27), u32(hi), u32(lo)]);
  }
  function u32(n) { return Uint8Array.of((n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255); }
  function cbor(value) {
    if (value === null) return Uint8Array.of(0xf6);
    if (typeof value === "number") return cborHead(0, value);
    if (typeof value === "string") { const b = enc.encode(value); return concat([cborHead(3, b.length), b]); }
    if (value instanceof Uint8Array) return concat([cborHead(2, value.length), value]);
    if (Array.isArray(value)) return concat([cborHead(4, value.length), ...value.map(cbor)]);
    throw new Error("cbor: unsupported value");
  }

  // ------------------------------------------------------------------ Adler-32
  function adler32(bytes) {
    let a = 1, b = 0;
    for (let i = 0; i < bytes.length; i++) { a = (a + bytes[i]) % 65521; b = (b + a) % 65521; }
    return u32(((b << 16) | a) >>> 0);
  }

  // ------------------------------------------------------------------ the holder key
  const holderKey = (citizenId) => D.deviceKey(db, "holder:" + citizenId);
  /* Tests only: a known private key (PKCS#8), imported non-extractable like a generated one. */
  const importHolderKey = (citizenId, pkcs8, publicRaw) => D.importDeviceKey(db, "holder:" + citizenId, pkcs8, publicRaw);
  async function sign(key, bytes) {
    return new Uint8Array(await crypto.subtle.sign({ name: "Ed25519" }, key.privateKey, bytes));
  }
  function jwk(key) { return { kty: "OKP", crv: "Ed25519", x: b64urlEncode(key.publicRaw) }; }

  // ------------------------------------------------------------------ the server's clock
  function noteServerTime(iso) {
    const t = Date.parse(iso);
    if (!isNaN(t)) clock.note(t);
  }
  const nowSeconds = clock.nowSeconds;

  /* The page's settings (the JSON in #holder-config); the server's time they carry is noted. */
  function pageConfig() {
    const cfg = JSON.parse(document.getElementById("holder-config").textContent);
    noteServerTime(cfg.now);
    return cfg;
  }

  // ------------------------------------------------------------------ claiming (OpenID4VCI-style)
  async function api(url, options) {
    const r = await fetch(url, Object.assign({ credentials: "same-origin" }, options));
    let data = null;
    try { data = await r.json(); } catch (e) { data = null; }
    if (!r.ok) {
      const err = new Error((data && (data.title || data.error_description)) || ("HTTP " + r.status));
      err.code = data && (data.code || data.error);
      err.status = r.status;
      throw err;
    }
    return data;
  }
  function idemKey() { return crypto.randomUUID ? crypto.randomUUID() : String(Math.random()).slice(2); }

  async function proofJwt(key, aud, nonce) {
    const header = { alg: "EdDSA", typ: "openid4vci-proof+jwt", jwk: jwk(key) };
    const payload = { aud: aud, iat: nowSeconds(), nonce: nonce };
    const input = b64urlEncode(enc.encode(JSON.stringify(header))) + "." + b64urlEncode(enc.encode(JSON.stringify(payload)));
    return input + "." + b64urlEncode(await sign(key, enc.encode(input)));
  }

  /* The whole claim after the face check; returns the cached wallet entry. `onStep(name)` reports progress. */
  async function claim(opts) {
    const step = opts.onStep || function () {};
    const key = await holderKey(opts.citizenId);
    step("offer");
    const offer = await api("/v1/wallet/credentials/" + encodeURIComponent(opts.credentialId) + "/offer", {
      method: "POST",
      headers: { "Content-Type": "application/json", "Idempotency-Key": idemKey(), "Accept-Language": opts.lang || "zh-CN" },
      body: JSON.stringify({ face_grant: opts.faceGrant }),
    });
    const grant = offer.grants["urn:ietf:params:oauth:grant-type:pre-authorized_code"];
    step("token");
    const token = await api("/v1/oid4vci/token", {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded", "Idempotency-Key": idemKey(), "Accept-Language": opts.lang || "zh-CN" },
      body: new URLSearchParams({ grant_type: "urn:ietf:params:oauth:grant-type:pre-authorized_code", "pre-authorized_code": grant["pre-authorized_code"] }),
    });
    step("credential");
    const proof = await proofJwt(key, offer.credential_issuer, token.c_nonce);
    const issued = await api("/v1/oid4vci/credential", {
      method: "POST",
      headers: { "Content-Type": "application/json", "Authorization": "Bearer " + token.access_token, "Accept-Language": opts.lang || "zh-CN" },
      body: JSON.stringify({ credential_configuration_id: offer.credential_configuration_ids[0], proofs: { jwt: [proof] } }),
    });
    const qr = issued.onecity_qr_certificates;
    const entry = { credential_id: qr.credential_id, sd_jwt: (issued.credentials && issued.credentials.length) ? issued.credentials[0].credential : null, certificates: qr.certificates,
                    deflate_prefixes: qr.deflate_prefixes, stored_at: Date.now() };
    await db.put("certs", qr.credential_id, entry);
    step("done");
    return entry;
  }

  /* Fetch the certificates signed again for the bound key (after a reinstatement, or on a new visit). */
  async function refresh(credentialId) {
    const data = await api("/v1/wallet/credentials/" + encodeURIComponent(credentialId) + "/certificates");
    noteServerTime(data.now);
    const old = (await db.get("certs", credentialId)) || {};
    const entry = Object.assign(old, { credential_id: credentialId, certificates: data.certificates,
                                       deflate_prefixes: data.deflate_prefixes, stored_at: Date.now() });
    await db.put("certs", credentialId, entry);
    return entry;
  }
  const cached = (credentialId) => db.get("certs", credentialId);

  // ------------------------------------------------------------------ showing
  /* The "OC1:" text for `certificate` (bytes) now; `prefix` the server's deflate_prefix (optional). */
  async function present(key, certificate, prefix, ts) {
    ts = ts === undefined ? nowSeconds() : ts;
    const hint = new Uint8Array(await crypto.subtle.digest("SHA-256", key.publicRaw)).slice(0, 2);
    const certHash = new Uint8Array(await crypto.subtle.digest("SHA-256", certificate));
    const sig = await sign(key, cbor(["OC1-show", ts, certHash, hint, null]));
    const head = concat([Uint8Array.of(0x84), cbor(certificate)]);
    const tail = concat([cbor(ts), cbor(hint), cbor(sig)]);
    const raw = concat([head, tail]);
    // Without the preset dictionary the stream is valid too; the dictionary pays for a full
    // certificate (~70 characters), less than its few bytes of overhead for a small purpose view.
    let packed = await D.compress("deflate", raw);
    if (prefix) {
      const withDict = concat([prefix, await D.compress("deflate-raw", tail), adler32(raw)]);
      if (withDict.length < packed.length) packed = withDict;
    }
    return { text: "OC1:" + b45encode(packed), cbor: raw, ts: ts };
  }

  async function presentCached(citizenId, credentialId, view) {
    const entry = await cached(credentialId);
    if (!entry || !entry.certificates || !entry.certificates[view]) return null;
    const key = await holderKey(citizenId);
    const prefix = entry.deflate_prefixes && entry.deflate_prefixes[view];
    return present(key, b64urlDecode(entry.certificates[view]), prefix ? b64urlDecode(prefix) : null);
  }

  /* QR at error-correction level Q, alphanumeric mode (every "OC1:" character is in that set). */
  function drawQr(container, text) {
    const canvas = document.createElement("canvas");
    const n = D.drawQr(canvas, text, "Q", "Alphanumeric", 4);
    canvas.setAttribute("data-testid", "show-qr-canvas");
    canvas.style.width = "100%";
    canvas.style.maxWidth = "340px";
    canvas.style.imageRendering = "pixelated";
    container.replaceChildren(canvas);
    return { version: (n - 17) / 4, modules: n };
  }

  window.OneCityHolder = {
    holderKey, importHolderKey, claim, refresh, cached, present, presentCached, drawQr, noteServerTime, nowSeconds, pageConfig,
    b64urlDecode, b64urlEncode, b45encode, cbor,
  };
})();
