// The roll call's service worker: keeps the app shell and the roll-call pages
// a teacher opened today, so the page opens without a network. Taps made
// offline are not handled here: the page keeps them in IndexedDB and sends
// them itself (roll_call.js), because the Background Sync API is missing in
// Android WebViews (WeChat), Firefox and iPhones.
//
// Kept: our static files (from the cache, refreshed behind) and, network first, the home page and roll-call pages. Each
// kept page carries the day it was kept; from the next day it is not served
// and is deleted (children's data does not outlive the day on the phone).
// Logging out clears everything (Clear-Site-Data on the logout answer, and
// roll_call.js / offline.js clear the caches and the queue before sending it).
"use strict";

const CACHE = "roll-call-v1";
const KEPT_ON = "X-Kept-On";
const KEPT_PAGES = [/^\/$/, /^\/groups\/\d+\/roll-call\/(\d{4}-\d{2}-\d{2}\/)?$/];

function today() {
  const d = new Date();
  const pad = (n) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

self.addEventListener("install", () => self.skipWaiting());
self.addEventListener("activate", (event) => event.waitUntil(self.clients.claim()));

// A page asks to keep what it needs offline (itself, its scripts and styles).
self.addEventListener("message", (event) => {
  const data = event.data || {};
  if (data.type === "keep") {
    // Tell the page when it is safe to go offline.
    event.waitUntil(keep(data.urls || []).then(() => event.source && event.source.postMessage({ type: "kept" })));
  }
  if (data.type === "forget") event.waitUntil(caches.delete(CACHE));
});

async function keep(urls) {
  const cache = await caches.open(CACHE);
  await Promise.all(
    urls.map(async (url) => {
      try {
        const response = await fetch(url, { credentials: "same-origin" });
        if (response.ok && !response.redirected) await cache.put(url, await stamped(response));
      } catch (error) {
        // Offline already: what was kept before stays.
      }
    }),
  );
}

async function stamped(response) {
  const headers = new Headers(response.headers);
  headers.set(KEPT_ON, today());
  return new Response(await response.blob(), { status: response.status, headers });
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) return;
  if (url.pathname.startsWith("/static/")) {
    event.respondWith(staticFile(request));
  } else if (request.mode === "navigate" && KEPT_PAGES.some((re) => re.test(url.pathname))) {
    event.respondWith(page(request));
  }
});

// Served from the cache at once, refreshed behind (a file changed under the
// same name, as in development, is picked up on the next visit).
async function staticFile(request) {
  const cache = await caches.open(CACHE);
  const kept = await cache.match(request, { ignoreVary: true });
  const fresh = fetch(request)
    .then((response) => {
      if (response.ok) cache.put(request, response.clone());
      return response;
    })
    .catch(() => kept);
  return kept || fresh;
}

async function page(request) {
  const cache = await caches.open(CACHE);
  try {
    const response = await fetch(request);
    // Only a real page of the user, not the login page after a redirect.
    if (response.ok && !response.redirected) cache.put(request, await stamped(response.clone()));
    return response;
  } catch (error) {
    const kept = await cache.match(request, { ignoreVary: true });
    if (kept && kept.headers.get(KEPT_ON) === today()) return kept;
    if (kept) await cache.delete(request);
    return new Response(
      "<!doctype html><html><head><meta charset=utf-8><meta name=viewport content='width=device-width'>" +
        "<title>离线 · Offline</title></head><body><p>没有网络，这一页没有保存在手机上。</p>" +
        "<p>No network, and this page was not kept on this phone.</p></body></html>",
      { status: 503, headers: { "Content-Type": "text/html; charset=utf-8" } },
    );
  }
}
