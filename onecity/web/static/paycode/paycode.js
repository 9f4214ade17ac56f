/* OneCity payment code (付款码): computed on the phone, offline, from the provisioned device secret.
 *
 *   code = prefix ("28") + device number (8 digits) + HOTP(secret, floor(unix / period)) (8 digits)
 *
 * HOTP is RFC 4226 with HMAC-SHA-256 (RFC 6238 style TOTP, 60-second steps). HMAC runs in Web Crypto
 * (crypto.subtle); where the page is not a secure context (plain http on a LAN) a small SHA-256 in
 * JavaScript stands in. Nothing here talks to the server: once loaded, the code keeps refreshing
 * without a network. Base64 and QR drawing are ../device.js (loaded first).
 */
(function () {
  "use strict";

  var D = window.OneCityDevice;

  function counterBytes(counter) {
    var buf = new Uint8Array(8);
    var hi = Math.floor(counter / 4294967296);
    var lo = counter >>> 0;
    [hi >>> 24, (hi >>> 16) & 255, (hi >>> 8) & 255, hi & 255,
     lo >>> 24, (lo >>> 16) & 255, (lo >>> 8) & 255, lo & 255].forEach(function (b, i) { buf[i] = b; });
    return buf;
  }

  // --- SHA-256 / HMAC fallback (FIPS 180-4), used only without crypto.subtle ----------------------
  var K = [0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2];

  function sha256(bytes) {
    var h = [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19];
    var len = bytes.length;
    var total = Math.ceil((len + 9) / 64) * 64;
    var m = new Uint8Array(total);
    m.set(bytes);
    m[len] = 0x80;
    var bits = len * 8;
    m[total - 4] = (bits >>> 24) & 255; m[total - 3] = (bits >>> 16) & 255;
    m[total - 2] = (bits >>> 8) & 255; m[total - 1] = bits & 255;
    var w = new Array(64);
    for (var off = 0; off < total; off += 64) {
      for (var i = 0; i < 16; i++) {
        w[i] = (m[off + 4 * i] << 24) | (m[off + 4 * i + 1] << 16) | (m[off + 4 * i + 2] << 8) | m[off + 4 * i + 3];
      }
      for (i = 16; i < 64; i++) {
        var x = w[i - 15], y = w[i - 2];
        var s0 = ((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3);
        var s1 = ((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10);
        w[i] = (w[i - 16] + s0 + w[i - 7] + s1) | 0;
      }
      var a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], hh = h[7];
      for (i = 0; i < 64; i++) {
        var S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
        var t1 = (hh + S1 + ((e & f) ^ (~e & g)) + K[i] + w[i]) | 0;
        var S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
        var t2 = (S0 + ((a & b) ^ (a & c) ^ (b & c))) | 0;
        hh = g; g = f; f = e; e = (d + t1) | 0; d = c; c = b; b = a; a = (t1 + t2) | 0;
      }
      h[0] = (h[0] + a) | 0; h[1] = (h[1] + b) | 0; h[2] = (h[2] + c) | 0; h[3] = (h[3] + d) | 0;
      h[4] = (h[4] + e) | 0; h[5] = (h[5] + f) | 0; h[6] = (h[6] + g) | 0; h[7] = (h[7] + hh) | 0;
    }
    var out = new Uint8Array(32);
    for (i = 0; i < 8; i++) {
      out[4 * i] = h[i] >>> 24; out[4 * i + 1] = (h[i] >>> 16) & 255;
      out[4 * i + 2] = (h[i] >>> 8) & 255; out[4 * i + 3] = h[i] & 255;
    }
    return out;
  }

  function hmacSha256Js(key, msg) {
    if (key.length > 64) key = sha256(key);
    var ipad = new Uint8Array(64 + msg.length), opad = new Uint8Array(64 + 32);
    for (var i = 0; i < 64; i++) {
      var k = i < key.length ? key[i] : 0;
      ipad[i] = k ^ 0x36; opad[i] = k ^ 0x5c;
    }
    ipad.set(msg, 64);
    opad.set(sha256(ipad), 64);
    return sha256(opad);
  }

  function hmacSha256(key, msg) {
    var subtle = window.crypto && window.crypto.subtle;
    if (!subtle) return Promise.resolve(hmacSha256Js(key, msg));
    return subtle.importKey("raw", key, { name: "HMAC", hash: "SHA-256" }, false, ["sign"])
      .then(function (k) { return subtle.sign("HMAC", k, msg); })
      .then(function (sig) { return new Uint8Array(sig); });
  }

  function hotp(key, counter, digits) {
    return hmacSha256(key, counterBytes(counter)).then(function (mac) {
      var o = mac[mac.length - 1] & 15;
      var bin = ((mac[o] & 0x7f) * 16777216) + (mac[o + 1] << 16) + (mac[o + 2] << 8) + mac[o + 3];
      var s = String(bin % Math.pow(10, digits));
      while (s.length < digits) s = "0" + s;
      return s;
    });
  }

  // --- Code 128 (code set C: two digits per symbol) -----------------------------------------------
  var C128 = ("212222 222122 222221 121223 121322 131222 122213 122312 132212 221213 221312 231212 112232 " +
    "122132 122231 113222 123122 123221 223211 221132 221231 213212 223112 312131 311222 321122 321221 312212 " +
    "322112 322211 212123 212321 232121 111323 131123 131321 112313 132113 132311 211313 231113 231311 112133 " +
    "112331 132131 113123 113321 133121 313121 211331 231131 213113 213311 213131 311123 311321 331121 312113 " +
    "312311 332111 314111 221411 431111 111224 111422 121124 121421 141122 141221 112214 112412 122114 122411 " +
    "142112 142211 241211 221114 413111 241112 134111 111242 121142 121241 114212 124112 124211 411212 421112 " +
    "421211 212141 214121 412121 111143 111341 131141 114113 114311 411113 411311 113141 114131 311141 411131 " +
    "211412 211214 211232 2331112").split(" ");

  function code128Modules(digits) {
    var values = [105];
    for (var i = 0; i < digits.length; i += 2) values.push(parseInt(digits.substr(i, 2), 10));
    var sum = values[0];
    for (i = 1; i < values.length; i++) sum += values[i] * i;
    values.push(sum % 103, 106);
    var mods = [];
    values.forEach(function (v) {
      var bar = true;
      C128[v].split("").forEach(function (w) {
        for (var j = 0; j < +w; j++) mods.push(bar ? 1 : 0);
        bar = !bar;
      });
    });
    return mods;
  }

  function drawBarcode(canvas, digits) {
    var mods = code128Modules(digits);
    var quiet = 12, scale = 3;
    canvas.width = (mods.length + 2 * quiet) * scale;
    canvas.height = 90;
    var ctx = canvas.getContext("2d");
    ctx.fillStyle = "#fff";
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    ctx.fillStyle = "#000";
    mods.forEach(function (m, i) { if (m) ctx.fillRect((quiet + i) * scale, 0, scale, canvas.height); });
  }

  function grouped(code) {
    return code.replace(/(\d{4})(?=\d)/g, "$1 ");
  }

  window.OneCityPaycode = {
    hotp: hotp,
    sha256: sha256,
    hmacSha256Js: hmacSha256Js,
    code128Modules: code128Modules,
    start: function (cfg) {
      var key = D.b64decode(cfg.secret);
      var qrCanvas = document.getElementById("paycode-qr");
      var barCanvas = document.getElementById("paycode-barcode");
      var digitsEl = document.getElementById("paycode-digits");
      var countdownEl = document.getElementById("paycode-countdown");
      var shown = null;

      function step() { return Math.floor(Date.now() / 1000 / cfg.period); }

      function render() {
        var s = step();
        if (s === shown) return Promise.resolve();
        return hotp(key, s, cfg.digits).then(function (otp) {
          var code = cfg.prefix + cfg.number + otp;
          shown = s;
          D.drawQr(qrCanvas, code, "M", "Numeric", 8);
          drawBarcode(barCanvas, code);
          digitsEl.textContent = cfg.revealDigits ? grouped(code) : grouped(code).slice(0, 9) + "·····";
          digitsEl.setAttribute("data-code", code);
          digitsEl.setAttribute("data-step", String(s));
          document.body.setAttribute("data-paycode-step", String(s));
        });
      }

      function tick() {
        var left = cfg.period - Math.floor(Date.now() / 1000) % cfg.period;
        if (countdownEl) countdownEl.textContent = String(left);
        render();
      }

      digitsEl.addEventListener("click", function () {
        cfg.revealDigits = !cfg.revealDigits;
        shown = null;
        render();
      });
      var refresh = document.getElementById("paycode-refresh");
      if (refresh) refresh.addEventListener("click", function () { shown = null; render(); });
      tick();
      setInterval(tick, 1000);
    },
  };
})();
