// Tend's service worker, served at /sw.js with scope "/" (service-worker/README.md).
//
// The server fills in the two placeholders below: every content-hashed static URL plus
// the offline page, and a version derived from them and from this file. A deploy that
// changes any of them is a new worker, installed beside the old one and announced to the
// page ("Update available — reload").
//
// What may be kept on the phone, and nothing else:
//   - /static/… files (hashed, so a URL never changes its content): cache-first;
//   - /offline, a page that names no one.
// Every page is network-first with /offline as the fallback, and is never put in a
// cache; every other request (forms, htmx, photos, the manifest) goes to the network
// only. Patient information therefore never enters Cache Storage.
//
// Care notes written offline live in IndexedDB, managed by the page
// (static/js/offline-notes.js). The page, not this worker, sends them: a note needs the
// page's CSRF token and the signed-in person, and an expired session needs a person to
// sign in again. A Background Sync ("send-notes") only wakes the open pages to send.

const PRECACHE = self.__TEND_PRECACHE__;
const VERSION = self.__TEND_VERSION__;
const CACHE = `tend-static-${VERSION}`;
const OFFLINE_URL = "/offline";
const SYNC_TAG = "send-notes";

self.addEventListener("install", (event) => {
  // cache: "reload" skips the HTTP cache, so an old copy never fills a new cache.
  event.waitUntil(
    caches
      .open(CACHE)
      .then((cache) => cache.addAll(PRECACHE.map((url) => new Request(url, { cache: "reload" })))),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((names) =>
        Promise.all(
          names.filter((name) => name.startsWith("tend-") && name !== CACHE).map((name) => caches.delete(name)),
        ),
      )
      .then(() => self.clients.claim()),
  );
});

self.addEventListener("message", (event) => {
  const data = event.data || {};
  if (data.type === "skip-waiting") {
    self.skipWaiting();
  } else if (data.type === "offline-language") {
    // The offline page is kept in the language it was fetched in: fetch it again when
    // the person now reads Tend in another one.
    event.waitUntil(refreshOfflinePage(data.lang));
  }
});

async function refreshOfflinePage(lang) {
  const cache = await caches.open(CACHE);
  const cached = await cache.match(OFFLINE_URL);
  if (cached && cached.headers.get("Content-Language") === lang) return;
  try {
    const response = await fetch(OFFLINE_URL, { cache: "no-store", credentials: "same-origin" });
    if (response.ok) await cache.put(OFFLINE_URL, response);
  } catch {
    // Offline now: the page in the earlier language is still better than none.
  }
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return; // network only: never stored
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (url.pathname.startsWith("/static/")) {
    event.respondWith(staticFile(request));
  } else if (request.mode === "navigate") {
    event.respondWith(page(request));
  }
  // Anything else (htmx partials, photos, the manifest…): the network, untouched.
});

async function staticFile(request) {
  const cache = await caches.open(CACHE);
  const cached = await cache.match(request);
  if (cached) return cached;
  // A hashed file this worker did not precache (a page newer than the worker): a static
  // file is the same for everyone and never changes under its URL, so it may be kept.
  const response = await fetch(request);
  if (response.ok && response.type === "basic") await cache.put(request, response.clone());
  return response;
}

async function page(request) {
  try {
    // Straight to the network, never into a cache: pages hold patient information.
    return await fetch(request);
  } catch (error) {
    const offline = await caches.match(OFFLINE_URL);
    if (offline) return offline;
    throw error;
  }
}

self.addEventListener("sync", (event) => {
  if (event.tag === SYNC_TAG) event.waitUntil(wakePages());
});

async function wakePages() {
  const pages = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
  for (const client of pages) client.postMessage({ type: "send-notes" });
}
