/* Signing out on this browser (退出登录): before a form marked `data-sign-out` posts, forget what the
 * offline pages kept here for the citizen (OneCityDevice.forgetSignedIn, ./device.js, loaded first).
 * Forgetting waits at most FORGET_MS and a failure never stops the sign-out: the server ends the
 * session (and denies its ride-code certificates) whatever the browser managed to clear.
 */
(function () {
  "use strict";

  const FORGET_MS = 3000;

  function forgetThenPost(form) {
    form.addEventListener("submit", function (event) {
      if (form.dataset.forgotten === "1") return;
      event.preventDefault();
      const timeout = new Promise(function (resolve) { setTimeout(resolve, FORGET_MS); });
      const forgotten = window.OneCityDevice.forgetSignedIn().catch(function () { /* sign out anyway */ });
      Promise.race([forgotten, timeout]).then(function () {
        form.dataset.forgotten = "1";
        form.submit();
      });
    });
  }

  document.querySelectorAll("form[data-sign-out]").forEach(forgetThenPost);
})();
