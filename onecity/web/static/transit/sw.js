/* OneCity ride code service worker (served as /app/transit/sw.js, scope /app/transit/).
 *
 * Keeps the ride code screen and the files it needs in a cache, so the screen opens again with the
 * network cut: network first (the page carries the rider's state), the cached copy when the network
 * fails. The device key and certificate live in IndexedDB, not here. Signing out deletes these caches
 * and unregisters this worker (OneCityDevice.forgetSignedIn, ../device.js), so the screen cached for
 * one citizen never opens for the next.
 */
"use strict";

const CACHE = "onecity-transit-v2";
const PAGE = "/app/transit/ride";
const ASSETS = ["/static/app.css", "/static/paycode/qrcode-generator.js", "/static/device.js",
                "/static/transit/ride.js"];

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches.open(CACHE)
      .then((cache) => cache.addAll(ASSETS)
        .then(() => fetch(new Request(PAGE, { credentials: "same-origin" })))
        .then((response) => (response.ok && !response.redirected ? cache.put(PAGE, response) : undefined)))
      .catch(() => {})
      .then(() => self.skipWaiting())
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((names) => Promise.all(names.filter((n) => n.startsWith("onecity-transit-") && n !== CACHE)
        .map((n) => caches.delete(n))))
      .then(() => self.clients.claim())
  );
});

function cacheKey(request) {
  const url = new URL(request.url);
  return url.pathname === PAGE ? PAGE : request;
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  const wanted = url.pathname === PAGE || ASSETS.indexOf(url.pathname) >= 0;
  if (!wanted) return;
  event.respondWith(
    fetch(request)
      .then((response) => {
        if (response.ok && !response.redirected) {
          const copy = response.clone();
          caches.open(CACHE).then((cache) => cache.put(cacheKey(request), copy));
        }
        return response;
      })
      .catch(() => caches.match(cacheKey(request), { ignoreSearch: true }).then((hit) => hit || Response.error()))
  );
});
