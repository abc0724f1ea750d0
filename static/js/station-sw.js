// The station page's service worker (served as /station-sw.js, scope /station/): keeps the
// page, its scripts and styles on the tablet, so that a reload while the venue's network is
// down still opens the page and its queue (the queue itself is in localStorage: outbox.js).
// Network first: a fresh copy whenever the network answers, the kept one when it does not.
// Only GETs of the page and of /static/ are kept; the API is never touched here.
const CACHE = "liveevent-station-v1";
const page = new URL(self.location.href).searchParams.get("page");
const SHELL = [
  "/static/css/base.css", "/static/css/onsite.css",
  "/static/js/station.js", "/static/js/outbox.js", "/static/js/api.js", "/static/js/dom.js",
  "/static/js/i18n.js", "/static/js/phone.js", "/static/js/storage.js",
  "/static/i18n/zh-CN.js", "/static/i18n/en.js",
];
if (page && page.startsWith("/station/")) SHELL.push(page);

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(self.clients.claim());
});

self.addEventListener("fetch", (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== "GET" || url.origin !== self.location.origin) return;
  if (!url.pathname.startsWith("/station/") && !url.pathname.startsWith("/static/")) return;
  event.respondWith((async () => {
    const cache = await caches.open(CACHE);
    try {
      const response = await fetch(event.request);
      if (response.ok) await cache.put(url.pathname, response.clone());
      return response;
    } catch (error) {
      const kept = await cache.match(url.pathname);
      if (kept) return kept;
      throw error;
    }
  })());
});
