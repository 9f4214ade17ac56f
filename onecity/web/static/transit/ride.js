/* OneCity ride code (乘车码), made on the phone, offline.
 *
 * - The device key: WebCrypto Ed25519, generated non-extractable and kept (as a CryptoKey) in
 *   IndexedDB ("onecity-transit"), one per citizen; only its public half leaves the page, to
 *   POST /v1/transit/certificates, which answers the platform-signed device certificate (126 bytes,
 *   valid 24 h). The certificate is kept in IndexedDB too, and renewed when online and near expiry.
 * - Each ride code is onecity/transit/ridecode/code.py byte for byte:
 *       certificate (126) || ts (uint32 BE) || counter (uint16 BE) || Ed25519 signature (64)
 *   signed over "OCT1-ride" || SHA-256(certificate) || ts || counter; shown as a QR in alphanumeric
 *   mode holding its Base45 text (RFC 9285), 294 characters, version 10 at level M.
 * - `ts` is the server's clock as last seen (offset kept in localStorage); `counter` goes up with
 *   every code (localStorage, wraps at 65536), so two codes made in the same second differ.
 * - One citizen at a time: the page drops a key or certificate this browser kept for another citizen
 *   (or a certificate of another rider reference) before it provisions its own. Signing out forgets
 *   them all, with the service worker's cached screen (OneCityDevice.forgetSignedIn, ../signout.js).
 * Nothing in the refresh loop talks to the server: once loaded, the code keeps refreshing offline.
 * The bytes, Base45, IndexedDB, key, clock and QR helpers are ../device.js (loaded first).
 */
(function () {
  "use strict";

  const D = window.OneCityDevice;
  const CERT_BYTES = 126;
  const DOMAIN = new TextEncoder().encode("OCT1-ride");
  const COUNTER = "oc.transit.counter:";
  const db = D.database("onecity-transit", ["keys", "certs"]);
  const concat = D.concat, b64encode = D.b64encode, b64decode = D.b64decode, b45encode = D.b45encode;

  // ------------------------------------------------------------------ bytes
  function tail(ts, counter) {
    return Uint8Array.of((ts >>> 24) & 255, (ts >>> 16) & 255, (ts >>> 8) & 255, ts & 255,
                         (counter >>> 8) & 255, counter & 255);
  }
  function u32at(bytes, o) {
    return ((bytes[o] << 24) >>> 0) + (bytes[o + 1] << 16) + (bytes[o + 2] << 8) + bytes[o + 3];
  }
  function sameBytes(a, b) {
    if (a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
    return true;
  }

  // ------------------------------------------------------------------ the certificate's fields
  function hex(bytes) {
    return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }
  function parseCertificate(cert) {
    return {
      serial: cert.slice(3, 11).reduce((n, b) => n * 256n + BigInt(b), 0n).toString(),
      riderRef: hex(cert.slice(11, 19)),
      devicePublic: cert.slice(19, 51),
      notBefore: u32at(cert, 51),
      notAfter: u32at(cert, 55),
    };
  }

  // ------------------------------------------------------------------ the ride code
  async function makeCode(cert, privateKey, ts, counter) {
    counter = counter & 0xffff;
    const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", cert));
    const t = tail(ts, counter);
    const sig = new Uint8Array(await crypto.subtle.sign({ name: "Ed25519" }, privateKey, concat([DOMAIN, digest, t])));
    return concat([cert, t, sig]);
  }

  // ------------------------------------------------------------------ the device key
  const deviceKey = (citizenId) => D.deviceKey(db, citizenId);
  /* Tests only: a known private key (PKCS#8), imported non-extractable like a generated one. */
  async function importDeviceKey(citizenId, pkcs8, publicRaw) {
    const entry = await D.importDeviceKey(db, citizenId, pkcs8, publicRaw);
    await db.delete("certs", citizenId);
    return entry;
  }

  /* Another citizen's key and certificate (and counter) left in this browser: dropped, so a code is
     never made on their account from here. */
  async function forgetOthers(citizenId) {
    for (const store of ["keys", "certs"]) {
      for (const k of await db.keys(store)) if (k !== citizenId) await db.delete(store, k);
    }
    for (let i = localStorage.length - 1; i >= 0; i--) {
      const k = localStorage.key(i);
      if (k && k.startsWith(COUNTER) && k !== COUNTER + citizenId) localStorage.removeItem(k);
    }
  }

  // ------------------------------------------------------------------ the counter
  function nextCounter(citizenId) {
    const name = COUNTER + citizenId;
    const n = (Number(localStorage.getItem(name) || "0") + 1) & 0xffff;
    localStorage.setItem(name, String(n));
    return n;
  }

  // ------------------------------------------------------------------ drawing
  function drawQr(canvas, text) {
    return (D.drawQr(canvas, text, "M", "Alphanumeric", 5) - 17) / 4;
  }

  // ------------------------------------------------------------------ the screen
  function start(cfg) {
    const el = (id) => document.getElementById(id);
    const root = el("ride");
    const canvas = el("ride-qr");
    const msg = (k) => cfg.messages[k] || k;
    // A page served again from the service worker's cache carries an old server time: keep the
    // offset measured when that page was fresh.
    const offset = D.serverClock("oc.transit").noteRendered(cfg.serverNow);
    const now = () => Math.floor((Date.now() + offset) / 1000);
    let key = null, cert = null, certInfo = null, seq = 0, lastMade = 0, renewing = false, lastRenewTry = 0;

    function setState(state, text) {
      root.setAttribute("data-state", state);
      const s = el("ride-status");
      s.textContent = text || "";
      s.className = "ride-status" + (state === "blocked" || state === "error" ? " bad" : "");
      el("ride-code-box").hidden = state !== "ready";
      const blocked = el("ride-blocked");
      if (blocked) blocked.hidden = state !== "blocked";
    }
    function showNetwork() {
      const n = el("ride-network");
      n.textContent = navigator.onLine ? msg("transit.ride.online") : msg("transit.ride.offline");
      n.setAttribute("data-online", navigator.onLine ? "1" : "0");
    }

    function useCert(raw, info) {
      cert = raw; certInfo = info;
      root.setAttribute("data-serial", info.serial);
      root.setAttribute("data-rider-ref", info.riderRef);
    }

    /* The stored certificate, if it is this citizen's (stored under their id, with their rider
       reference) for the stored key; one of someone else drops the key with it: provisioned anew. */
    async function loadCert() {
      const stored = await db.get("certs", cfg.citizenId);
      if (!stored) return;
      const raw = b64decode(stored.certificate);
      const info = parseCertificate(raw);
      const owner = stored.citizen_id === cfg.citizenId && (!cfg.riderRef || info.riderRef === cfg.riderRef);
      if (!owner) {
        await db.delete("certs", cfg.citizenId);
        await db.delete("keys", cfg.citizenId);
        key = await deviceKey(cfg.citizenId);
        return;
      }
      if (raw.length === CERT_BYTES && sameBytes(info.devicePublic, key.publicRaw)) useCert(raw, info);
    }

    async function renew() {
      if (renewing) return;
      renewing = true;
      try {
        const r = await fetch(cfg.certificateUrl, {
          method: "POST", credentials: "same-origin", cache: "no-store",
          headers: { "Content-Type": "application/json", "Accept-Language": cfg.lang,
                     "Idempotency-Key": crypto.randomUUID ? crypto.randomUUID() : String(Math.random()).slice(2) },
          body: JSON.stringify({ device_public_key: b64encode(key.publicRaw) }),
        });
        let data = null;
        try { data = await r.json(); } catch (e) { data = null; }
        if (!r.ok) {
          const code = data && data.code;
          if (code === "transit_rider_in_arrears" || code === "transit_rider_denied") {
            cert = null; certInfo = null;
            await db.delete("certs", cfg.citizenId);
            const pay = el("ride-to-arrears");  // paying helps a rider in arrears, not a lost phone
            if (pay) pay.hidden = code !== "transit_rider_in_arrears";
            setState("blocked", (data && data.title) || msg("transit.ride.blocked"));
            return;
          }
          throw new Error((data && data.title) || ("HTTP " + r.status));
        }
        const raw = b64decode(data.certificate);
        await db.put("certs", cfg.citizenId, { certificate: data.certificate, serial: data.serial,
                                                citizen_id: cfg.citizenId, not_after: data.not_after,
                                                stored_at: Date.now() });
        useCert(raw, parseCertificate(raw));
      } finally {
        renewing = false;
      }
    }

    function certValid() { return cert !== null && certInfo.notAfter > now() + 5; }
    function nearExpiry() { return cert === null || certInfo.notAfter - now() < cfg.renewBeforeS; }

    async function show() {
      if (!certValid()) {
        setState("no-certificate", msg(navigator.onLine ? "transit.ride.getting" : "transit.ride.need_network"));
        return;
      }
      const ts = now();
      const counter = nextCounter(cfg.citizenId);
      const bytes = await makeCode(cert, key.privateKey, ts, counter);
      const text = b45encode(bytes);
      const version = drawQr(canvas, text);
      seq += 1;
      lastMade = ts;
      root.setAttribute("data-seq", String(seq));
      root.setAttribute("data-ts", String(ts));
      root.setAttribute("data-counter", String(counter));
      root.setAttribute("data-qr-version", String(version));
      root.setAttribute("data-bytes", String(bytes.length));
      root.setAttribute("data-code-serial", certInfo.serial);
      const hours = Math.max(0, Math.floor((certInfo.notAfter - ts) / 3600));
      el("ride-valid").textContent = msg("transit.ride.valid_hours").replace("{hours}", String(hours));
      setState("ready", msg("transit.ride.show_gate"));
    }

    function tick() {
      showNetwork();
      if (root.getAttribute("data-state") === "blocked") return;
      const left = cfg.refreshS - (now() - lastMade);
      el("ride-countdown").textContent = String(Math.max(0, left));
      if (left <= 0 || root.getAttribute("data-state") !== "ready") show().catch(fail);
      if (navigator.onLine && nearExpiry() && !renewing && Date.now() - lastRenewTry > 30000) {
        lastRenewTry = Date.now();
        renew().then(() => { if (root.getAttribute("data-state") !== "blocked") return show(); }).catch(() => {});
      }
    }

    function fail(e) { setState("error", msg("transit.ride.error") + " " + (e && e.message ? e.message : "")); }

    showNetwork();
    if (cfg.blocked) {
      setState("blocked", msg("transit.ride.blocked"));
      forgetOthers(cfg.citizenId).catch(() => {});
      return;
    }
    (async function () {
      if (!(window.crypto && crypto.subtle)) throw new Error(msg("transit.ride.no_crypto"));
      await forgetOthers(cfg.citizenId);
      key = await deviceKey(cfg.citizenId);
      await loadCert();
      if (nearExpiry() && navigator.onLine) {
        lastRenewTry = Date.now();
        try { await renew(); } catch (e) { if (!certValid()) fail(e); }
      }
      if (root.getAttribute("data-state") === "blocked") return;
      if (certValid()) await show();
      // every second: the countdown, a new code when due, a certificate when one is needed and online
      setInterval(tick, 1000);
      el("ride-refresh").addEventListener("click", () => { show().catch(fail); });
      window.addEventListener("online", () => { lastRenewTry = 0; tick(); });
      window.addEventListener("offline", showNetwork);
    })().catch(fail);

    if ("serviceWorker" in navigator && cfg.serviceWorker) {
      navigator.serviceWorker.register(cfg.serviceWorker, { scope: cfg.scope }).catch(() => {});
    }
  }

  window.OneCityRide = {
    makeCode: makeCode,
    b45encode: b45encode,
    parseCertificate: parseCertificate,
    importDeviceKey: importDeviceKey,
    start: start,
  };
})();
