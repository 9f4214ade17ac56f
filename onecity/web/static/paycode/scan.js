/* Scan a merchant's QR with the phone camera (jsQR decodes the frames in the page) and post the
 * payload to /app/scan, which shows the merchant and the amount before anything is paid. */
(function () {
  "use strict";
  var msg = JSON.parse(document.getElementById("scan-config").textContent);
  var video = document.getElementById("scan-video");
  var canvas = document.getElementById("scan-canvas");
  var status = document.getElementById("scan-status");
  var form = document.getElementById("scan-form");
  var payloadInput = document.getElementById("scan-payload");
  var running = false;

  function found(text) {
    running = false;
    status.textContent = msg.found;
    status.setAttribute("data-found", "1");
    if (video.srcObject) video.srcObject.getTracks().forEach(function (t) { t.stop(); });
    payloadInput.value = text;
    var file = form.querySelector("input[type=file]");
    if (file) file.value = "";
    form.submit();
  }

  function frame() {
    if (!running) return;
    if (video.readyState >= 2 && video.videoWidth) {
      var w = video.videoWidth, h = video.videoHeight;
      var scale = Math.min(1, 800 / Math.max(w, h));
      canvas.width = Math.round(w * scale);
      canvas.height = Math.round(h * scale);
      var ctx = canvas.getContext("2d", { willReadFrequently: true });
      ctx.drawImage(video, 0, 0, canvas.width, canvas.height);
      var img = ctx.getImageData(0, 0, canvas.width, canvas.height);
      var code = jsQR(img.data, img.width, img.height, { inversionAttempts: "dontInvert" });
      if (code && code.data) { found(code.data); return; }
    }
    requestAnimationFrame(frame);
  }

  function start() {
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      status.textContent = msg.no_camera;
      return;
    }
    navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false })
      .then(function (stream) {
        video.srcObject = stream;
        return video.play();
      })
      .then(function () {
        status.textContent = msg.looking;
        running = true;
        requestAnimationFrame(frame);
      })
      .catch(function () { status.textContent = msg.no_camera; });
  }

  document.getElementById("scan-start").addEventListener("click", start);
  start();
})();
