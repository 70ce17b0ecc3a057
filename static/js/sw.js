// The roll call's service worker: keeps the app shell and the roll-call pages
// a teacher opened today, so the page opens without a network. Taps made
// offline are not handled here: the page keeps them in IndexedDB and sends
// them itself (roll_call.js), because the Background Sync API is missing in
// Android WebViews (WeChat), Firefox and iPhones.
//
// Kept: our static files (from the cache, refreshed behind) and, network
// first, the home page and roll-call pages. A kept page carries the day it was
// kept and the phone mark it was rendered for (user, session, and a version
// that moves when a child is erased: attendance/middleware.py). Offline it is
// served only that day, and only while the phone's mark (the rc_phone cookie,
// which expires with the session) is still the same: not after the session
// ended, not to the next person on a shared phone, not with an erased child's
// name. Online, after each page the worker tidies: pages of another mark are
// deleted (the same session's are fetched again), and so are taps queued by
// another user. A browser without the Cookie Store API (so the mark cannot be
// read offline) keeps no page. Logging out clears everything
// (Clear-Site-Data on the logout answer, and roll_call.js before sending it).
"use strict";

const CACHE = "roll-call-v1";
const KEPT_ON = "X-Kept-On";
const KEPT_FOR = "X-Kept-For";
const MARK_HEADER = "X-Phone-Key";
const MARK_COOKIE = "rc_phone";
const KEPT_PAGES = [/^\/$/, /^\/groups\/\d+\/roll-call\/(\d{4}-\d{2}-\d{2}\/)?$/];

function today() {
  const d = new Date();
  const pad = (n) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

self.addEventListener("install", () => self.skipWaiting());
self.addEventListener("activate", (event) => event.waitUntil(self.clients.claim()));

// The phone's current mark: null when signed out or the session ended, and
// undefined when this browser cannot read it (then no page is kept).
async function currentMark() {
  if (!self.cookieStore) return undefined;
  const cookie = await self.cookieStore.get(MARK_COOKIE);
  return cookie ? cookie.value : null;
}
// "user.session.version": the same session when the first two agree.
const sessionOf = (mark) => (mark || "").split(".").slice(0, 2).join(".");

// A page asks to keep what it needs offline (itself, its scripts and styles),
// or says its session ended (a tap was answered with the login page).
self.addEventListener("message", (event) => {
  const data = event.data || {};
  if (data.type === "keep") {
    // Tell the page when it is safe to go offline.
    event.waitUntil(
      keep(data.urls || [])
        .then(tidy)
        .then(() => event.source && event.source.postMessage({ type: "kept" })),
    );
  }
  if (data.type === "tidy") event.waitUntil(tidy());
});

async function keep(urls) {
  const cache = await caches.open(CACHE);
  await Promise.all(
    urls.map(async (url) => {
      try {
        const response = await net(url, { credentials: "same-origin" });
        if (new URL(response.url || url, self.location.origin).pathname.startsWith("/static/")) {
          if (response.ok) await cache.put(url, response);
        } else {
          await keepPage(cache, url, response);
        }
      } catch (error) {
        // Offline already: what was kept before stays.
      }
    }),
  );
}

// A signed-in page, as it came, with the day and the mark it was rendered for;
// only if that is still the phone's mark (an answer that was on its way while
// the mark moved is not kept over a newer page).
async function keepPage(cache, request, response) {
  const mark = response.headers.get(MARK_HEADER);
  if (!response.ok || response.redirected || !mark || mark !== (await currentMark())) return;
  const headers = new Headers(response.headers);
  headers.set(KEPT_ON, today());
  headers.set(KEPT_FOR, mark);
  await cache.put(request, new Response(await response.blob(), { status: response.status, headers }));
}

// What this phone keeps must belong to its current mark: another user's or
// an ended session's pages go (the same session's, kept before an erasure,
// are fetched again), and so do taps another user queued.
// One tidying at a time (a page's "keep" and a navigation may ask together).
let tidying = Promise.resolve();
function tidy() {
  tidying = tidying.then(tidyNow, tidyNow);
  return tidying;
}
async function tidyNow() {
  const mark = await currentMark();
  const cache = await caches.open(CACHE);
  for (const request of await cache.keys()) {
    if (new URL(request.url).pathname.startsWith("/static/")) continue;
    const kept = await cache.match(request);
    const keptFor = kept && kept.headers.get(KEPT_FOR);
    if (mark && keptFor === mark) continue;
    // Fetched again in place (the same session), else deleted.
    if (mark && sessionOf(keptFor) === sessionOf(mark)) await keep([request.url]);
    const now = await cache.match(request);
    if (!now || now.headers.get(KEPT_FOR) !== mark) await cache.delete(request);
  }
  if (mark) await dropOthersTaps(mark.split(".")[0]);
}

function dropOthersTaps(user) {
  return new Promise((resolve) => {
    const open = indexedDB.open("roll-call", 1);
    open.onupgradeneeded = () => open.result.createObjectStore("taps", { keyPath: "seq", autoIncrement: true });
    open.onerror = () => resolve();
    open.onsuccess = () => {
      const tx = open.result.transaction("taps", "readwrite");
      const store = tx.objectStore("taps");
      store.openCursor().onsuccess = (event) => {
        const cursor = event.target.result;
        if (!cursor) return;
        if (String(cursor.value.user) !== String(user)) cursor.delete();
        cursor.continue();
      };
      tx.oncomplete = tx.onerror = () => {
        open.result.close();
        resolve();
      };
    };
  });
}

// Every request the worker makes: after a failure, the first answer tells the
// pages, which send their queue at once (roll_call.js).
let failed = false;
async function net(request, options) {
  try {
    const response = await fetch(request, options);
    if (failed) {
      failed = false;
      const pages = await self.clients.matchAll({ type: "window" });
      pages.forEach((page) => page.postMessage({ type: "answered" }));
    }
    return response;
  } catch (error) {
    failed = true;
    throw error;
  }
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) return;
  if (url.pathname.startsWith("/static/")) {
    event.respondWith(staticFile(request));
  } else if (request.mode === "navigate") {
    const kept = KEPT_PAGES.some((re) => re.test(url.pathname));
    const answer = kept ? page(request) : net(request);
    event.respondWith(answer);
    // Once the answer is in (a login, a logout, a session found ended, an
    // erasure moves the mark), what was kept is tidied.
    event.waitUntil(answer.then(tidy, () => {}));
  }
});

// Served from the cache at once, refreshed behind (a file changed under the
// same name, as in development, is picked up on the next visit).
async function staticFile(request) {
  const cache = await caches.open(CACHE);
  const kept = await cache.match(request, { ignoreVary: true });
  const fresh = net(request)
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
    const response = await net(request);
    // Only a real page of the user, not the login page after a redirect.
    await keepPage(cache, request, response.clone());
    return response;
  } catch (error) {
    const kept = await cache.match(request, { ignoreVary: true });
    const mark = await currentMark();
    if (kept && kept.headers.get(KEPT_ON) === today() && mark && kept.headers.get(KEPT_FOR) === mark) {
      return kept;
    }
    if (kept) await cache.delete(request);
    return new Response(
      "<!doctype html><html><head><meta charset=utf-8><meta name=viewport content='width=device-width'>" +
        "<title>离线 · Offline</title></head><body><p>没有网络，这一页没有保存在手机上。</p>" +
        "<p>No network, and this page was not kept on this phone.</p></body></html>",
      { status: 503, headers: { "Content-Type": "text/html; charset=utf-8" } },
    );
  }
}
