/* The insurance code page: show the server's signed code (an SVG QR), ask for a fresh one every
   `refresh_seconds` with a countdown (or at once when the consent switch changes), and poll for bills
   waiting for this citizen's confirmation, opening the confirmation screen when one arrives. */
(function () {
  "use strict";
  var cfg = JSON.parse(document.getElementById("mi-config").textContent);
  var M = cfg.messages;
  var qr = document.getElementById("mi-qr"), text = document.getElementById("mi-text");
  var countdown = document.getElementById("mi-countdown"), consent = document.getElementById("mi-consent");
  var events = document.getElementById("mi-events");
  var left = cfg.code.refresh_seconds, shown = cfg.shown.slice(), timer = null;

  function note(message, kind) {
    var div = document.createElement("div");
    div.className = "alert " + (kind || "notice");
    div.setAttribute("data-testid", kind === "error" ? "code-error" : "code-note");
    div.textContent = message;
    events.innerHTML = "";
    events.appendChild(div);
  }

  function show(code) {
    qr.innerHTML = code.svg;
    text.textContent = code.text;
    qr.setAttribute("data-expires-at", code.expires_at);
    left = code.refresh_seconds;
    countdown.textContent = String(left);
  }

  function fetchCode() {
    var q = "?consent=" + (consent.checked ? "1" : "0") + (cfg.subject ? "&for=" + encodeURIComponent(cfg.subject) : "");
    return fetch(cfg.codeUrl + q, { credentials: "same-origin", cache: "no-store" })
      .then(function (r) { return r.json().then(function (body) { return { ok: r.ok, body: body }; }); })
      .then(function (res) {
        if (!res.ok) { note(res.body.title || M["medinsure.code.error"], "error"); return; }
        events.innerHTML = "";
        show(res.body);
      })
      .catch(function () { note(M["medinsure.code.error"], "error"); });
  }

  function tick() {
    left -= 1;
    if (left <= 0) { left = 0; fetchCode(); }
    countdown.textContent = String(Math.max(0, left));
  }

  function poll() {
    fetch(cfg.updatesUrl, { credentials: "same-origin", cache: "no-store" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (!data) return;
        var fresh = data.pending.filter(function (v) { return shown.indexOf(v.visit_id) < 0; });
        if (fresh.length) {
          shown.push(fresh[0].visit_id);
          note(M["medinsure.code.new_bill"].replace("{institution}", fresh[0].institution).replace("{amount}", fresh[0].total));
          window.location.assign(fresh[0].url);
        }
      })
      .catch(function () { /* offline for a moment: try again at the next poll */ });
  }

  document.getElementById("mi-refresh").addEventListener("click", fetchCode);
  consent.addEventListener("change", fetchCode);
  timer = setInterval(tick, 1000);
  setInterval(poll, 2000);
  window.addEventListener("pagehide", function () { clearInterval(timer); });
})();
