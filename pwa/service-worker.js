// The app's worker. The server puts SHELL_VERSION and SHELL_FILES above
// this line: every file of this version of the app, and a hash of them.
import { syncOnce } from "/app/js/sync.js";

const CACHE_PREFIX = "casehub-shell-";
const CACHE = CACHE_PREFIX + SHELL_VERSION;

self.addEventListener("install", (event) => {
  event.waitUntil(precache());
});

async function precache() {
  const cache = await caches.open(CACHE);
  // Bypass the HTTP cache so a new version never stores an old file.
  await cache.addAll(SHELL_FILES.map((url) => new Request(url, { cache: "reload" })));
}

self.addEventListener("activate", (event) => {
  event.waitUntil(dropOldCaches().then(() => self.clients.claim()));
});

async function dropOldCaches() {
  const names = await caches.keys();
  await Promise.all(names
    .filter((name) => name.startsWith(CACHE_PREFIX) && name !== CACHE)
    .map((name) => caches.delete(name)));
}

self.addEventListener("message", (event) => {
  if (event.data?.type === "SKIP_WAITING") self.skipWaiting();
  if (event.data?.type === "VERSION") event.source?.postMessage({ version: SHELL_VERSION });
});

self.addEventListener("fetch", (event) => {
  const url = new URL(event.request.url);
  // Sync and photos are live data kept in IndexedDB; never from a cache.
  if (event.request.method !== "GET" || url.origin !== location.origin
      || url.pathname.startsWith("/api/")) {
    return;
  }
  event.respondWith(fromShell(event.request, url));
});

async function fromShell(request, url) {
  const cache = await caches.open(CACHE);
  const cached = await cache.match(url.pathname);
  return cached || fetch(request);
}

self.addEventListener("sync", (event) => {
  if (event.tag === "casehub-sync") event.waitUntil(syncOnce());
});
