/* OneCity on the phone: what the pages that make codes offline share (window.OneCityDevice).
 *
 * Loaded before the page's own script by the certificate wallet (credentials/holder.js), the ride
 * code (transit/ride.js) and the payment code (paycode/paycode.js):
 * - bytes: concat, Base64 (standard or URL-safe, in; either, out), Base45 (RFC 9285);
 * - compression: a CompressionStream run over some bytes;
 * - IndexedDB: a database of named object stores, get/put/delete by key;
 * - the device key: WebCrypto Ed25519, generated non-extractable and kept (as a CryptoKey) in
 *   IndexedDB; only its public half ever leaves the page;
 * - the server's clock as last seen, its offset kept in localStorage under a prefix;
 * - a QR drawn on a canvas (needs qrcode-generator.js);
 * - signing out: what those pages keep in this browser for the citizen, forgotten (../signout.js).
 */
(function () {
  "use strict";

  // ------------------------------------------------------------------ bytes
  function concat(parts) {
    const n = parts.reduce(function (a, p) { return a + p.length; }, 0);
    const out = new Uint8Array(n);
    let o = 0;
    for (const p of parts) { out.set(p, o); o += p.length; }
    return out;
  }
  function b64encode(bytes) {
    let s = "";
    for (const b of bytes) s += String.fromCharCode(b);
    return btoa(s);
  }
  function b64urlEncode(bytes) {
    return b64encode(bytes).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }
  /* Standard or URL-safe Base64, padded or not. */
  function b64decode(text) {
    const s = atob(text.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((text.length + 3) % 4));
    const out = new Uint8Array(s.length);
    for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
    return out;
  }

  const B45 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";
  function b45encode(bytes) {
    let out = "";
    for (let i = 0; i + 1 < bytes.length; i += 2) {
      let n = bytes[i] * 256 + bytes[i + 1];
      const c = n % 45; n = (n - c) / 45;
      const d = n % 45; const e = (n - d) / 45;
      out += B45[c] + B45[d] + B45[e];
    }
    if (bytes.length % 2) { const n = bytes[bytes.length - 1]; out += B45[n % 45] + B45[Math.floor(n / 45)]; }
    return out;
  }

  // ------------------------------------------------------------------ compression
  /* `bytes` through a CompressionStream(format): "deflate" (zlib), "deflate-raw" or "gzip". */
  async function compress(format, bytes) {
    const stream = new Blob([bytes]).stream().pipeThrough(new CompressionStream(format));
    return new Uint8Array(await new Response(stream).arrayBuffer());
  }

  // ------------------------------------------------------------------ IndexedDB
  /* The database `name` (version 1, holding `stores`), as get/put/delete promises per store. */
  function database(name, stores) {
    function open() {
      return new Promise(function (resolve, reject) {
        const req = indexedDB.open(name, 1);
        req.onupgradeneeded = function () { for (const s of stores) req.result.createObjectStore(s); };
        req.onsuccess = function () { resolve(req.result); };
        req.onerror = function () { reject(req.error); };
      });
    }
    async function run(store, mode, fn) {
      const db = await open();
      return new Promise(function (resolve, reject) {
        const tx = db.transaction(store, mode);
        const req = fn(tx.objectStore(store));
        tx.oncomplete = function () { db.close(); resolve(req && req.result); };
        tx.onerror = function () { db.close(); reject(tx.error); };
      });
    }
    return {
      get: function (store, key) { return run(store, "readonly", function (s) { return s.get(key); }); },
      put: function (store, key, value) { return run(store, "readwrite", function (s) { return s.put(value, key); }); },
      delete: function (store, key) { return run(store, "readwrite", function (s) { return s.delete(key); }); },
      keys: function (store) { return run(store, "readonly", function (s) { return s.getAllKeys(); }); },
      clear: function (store) { return run(store, "readwrite", function (s) { return s.clear(); }); },
    };
  }
  /* Delete the database `name` (resolves once gone; a page holding it open closes after each transaction). */
  function deleteDatabase(name) {
    return new Promise(function (resolve, reject) {
      const req = indexedDB.deleteDatabase(name);
      req.onsuccess = function () { resolve(); };
      req.onerror = function () { reject(req.error); };
    });
  }

  // ------------------------------------------------------------------ the device key
  /* The Ed25519 key kept in `db`'s "keys" store under `name`, made on first use. */
  async function deviceKey(db, name) {
    let entry = await db.get("keys", name);
    if (!entry) {
      const pair = await crypto.subtle.generateKey({ name: "Ed25519" }, false, ["sign", "verify"]);
      const publicRaw = new Uint8Array(await crypto.subtle.exportKey("raw", pair.publicKey));
      entry = { privateKey: pair.privateKey, publicRaw: publicRaw, created: Date.now() };
      await db.put("keys", name, entry);
    }
    return entry;
  }
  /* Tests only: a known private key (PKCS#8), imported non-extractable like a generated one. */
  async function importDeviceKey(db, name, pkcs8, publicRaw) {
    const privateKey = await crypto.subtle.importKey("pkcs8", pkcs8, { name: "Ed25519" }, false, ["sign"]);
    const entry = { privateKey: privateKey, publicRaw: publicRaw, created: Date.now() };
    await db.put("keys", name, entry);
    return entry;
  }

  // ------------------------------------------------------------------ the server's clock
  /* The offset to the server's clock, in localStorage as `prefix`.clockOffsetMs. */
  function serverClock(prefix) {
    const OFFSET = prefix + ".clockOffsetMs", SEEN = prefix + ".renderedAt";
    function offsetMs() { return Number(localStorage.getItem(OFFSET) || "0"); }
    return {
      offsetMs: offsetMs,
      /* The server said it was `serverMs` just now. */
      note: function (serverMs) { localStorage.setItem(OFFSET, String(serverMs - Date.now())); },
      /* A page rendered at `serverS` (seconds): a copy served again from a cache carries an old time,
         so the offset changes only for a page rendered later than any seen before. */
      noteRendered: function (serverS) {
        const seen = Number(localStorage.getItem(SEEN) || "0");
        if (serverS > seen) {
          localStorage.setItem(SEEN, String(serverS));
          localStorage.setItem(OFFSET, String(serverS * 1000 - Date.now()));
        }
        return offsetMs();
      },
      nowSeconds: function () { return Math.floor((Date.now() + offsetMs()) / 1000); },
    };
  }

  // ------------------------------------------------------------------ drawing
  /* `text` as a QR on `canvas` (error correction `level`, `mode` e.g. "Alphanumeric"), `cell` pixels
     a module and a 4-module quiet zone; returns the number of modules a side. */
  function drawQr(canvas, text, level, mode, cell) {
    const qr = qrcode(0, level);
    qr.addData(text, mode);
    qr.make();
    const n = qr.getModuleCount(), margin = 4;
    canvas.width = canvas.height = (n + 2 * margin) * cell;
    const ctx = canvas.getContext("2d");
    ctx.fillStyle = "#fff";
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    ctx.fillStyle = "#000";
    for (let r = 0; r < n; r++) {
      for (let c = 0; c < n; c++) {
        if (qr.isDark(r, c)) ctx.fillRect((c + margin) * cell, (r + margin) * cell, cell, cell);
      }
    }
    return n;
  }

  // ------------------------------------------------------------------ signing out
  const RIDE_DB = "onecity-transit", RIDE_CACHES = "onecity-transit-", RIDE_SCOPE = "/app/transit/";
  const WALLET_DB = "onecity-wallet", RIDE_COUNTERS = "oc.transit.counter:";
  /* Everything a signed-in citizen left in this browser that would act for them offline, gone: the
     ride code's device keys and certificates (a certificate makes valid codes for a day without the
     network, so a copy left here would ride on the signed-out citizen's account; the server also puts
     it on the gates' deny-list), its counters, its service worker and the ride screen it cached, and
     the wallet's cached certificates. The wallet's holder keys stay: each claimed certificate is bound
     to its key for good, and a key shows nothing without the certificates, which the platform hands
     only to their holder's session. Resolves when done; each part is attempted even if another fails. */
  async function forgetSignedIn() {
    const parts = [deleteDatabase(RIDE_DB), database(WALLET_DB, ["keys", "certs"]).clear("certs")];
    if ("caches" in window) {
      parts.push(caches.keys().then(function (names) {
        return Promise.all(names.filter(function (n) { return n.startsWith(RIDE_CACHES); })
          .map(function (n) { return caches.delete(n); }));
      }));
    }
    if ("serviceWorker" in navigator) {
      parts.push(navigator.serviceWorker.getRegistrations().then(function (regs) {
        return Promise.all(regs.filter(function (r) { return new URL(r.scope).pathname === RIDE_SCOPE; })
          .map(function (r) { return r.unregister(); }));
      }));
    }
    for (let i = localStorage.length - 1; i >= 0; i--) {
      const k = localStorage.key(i);
      if (k && k.startsWith(RIDE_COUNTERS)) localStorage.removeItem(k);
    }
    const results = await Promise.allSettled(parts);
    const failed = results.filter(function (r) { return r.status === "rejected"; });
    if (failed.length) throw failed[0].reason;
  }

  window.OneCityDevice = {
    concat: concat, b64encode: b64encode, b64urlEncode: b64urlEncode, b64decode: b64decode, b45encode: b45encode,
    compress: compress, database: database, deleteDatabase: deleteDatabase, deviceKey: deviceKey,
    importDeviceKey: importDeviceKey, serverClock: serverClock, drawQr: drawQr, forgetSignedIn: forgetSignedIn,
  };
})();
