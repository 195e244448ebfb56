// The app's worker. The server puts SHELL_VERSION and SHELL_FILES above
// this line: every file of this version of the app, and a hash of them.
import { setMeta } from "/app/js/db.js";
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

// Every push shows a notification, even one we cannot read: Safari takes
// push away from apps that receive alerts and stay silent.
const FALLBACK = {
  title: "casehub",
  body: "There is news on one of your cases. Open the app to see it.",
  tag: "casehub-alert",
  url: "/#cases",
};

self.addEventListener("push", (event) => {
  const alert = readAlert(event.data);
  const shown = self.registration.showNotification(alert.title, {
    body: alert.body,
    tag: alert.tag,
    renotify: true,
    icon: "/app/icons/icon-192.png",
    data: { url: alert.url },
  });
  // Fetch the news too, so the case is up to date when opened offline. A
  // test alert is noted first, so the sync's report tells the trainer.
  const noted = alert.test ? noteTest(alert.test) : Promise.resolve();
  const synced = noted.then(() => syncOnce()).catch(() => {});
  event.waitUntil(Promise.all([shown, synced]));
});

function noteTest(id) {
  return setMeta("test_push", { id, received_at: new Date().toISOString() });
}

function readAlert(data) {
  let message = null;
  try {
    message = data?.json();
  } catch {
    message = null;
  }
  if (!message || typeof message !== "object") return FALLBACK;

  const reference = typeof message.reference === "string" ? message.reference : "";
  const caseId = typeof message.case_id === "string" ? message.case_id : "";
  return {
    test: message.kind === "test" ? text(message.id) : "",
    title: text(message.title) || (reference ? `Case ${reference}` : FALLBACK.title),
    body: text(message.body) || "This case has changed. Open it to see what happened.",
    tag: text(message.tag) || caseId || FALLBACK.tag,
    url: ownAddress(message.url) || (caseId ? `/#case/${caseId}` : FALLBACK.url),
  };
}

function text(value) {
  return typeof value === "string" ? value.slice(0, 200) : "";
}

/** Only a page of this app: an alert must not send the member elsewhere. */
function ownAddress(value) {
  if (typeof value !== "string") return "";
  try {
    const url = new URL(value, location.origin);
    return url.origin === location.origin ? url.pathname + url.hash : "";
  } catch {
    return "";
  }
}

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const url = ownAddress(event.notification.data?.url) || FALLBACK.url;
  event.waitUntil(openApp(new URL(url, location.origin).href));
});

async function openApp(url) {
  const windows = await self.clients.matchAll({ type: "window",
    includeUncontrolled: true });
  const open = windows.find((client) => new URL(client.url).origin === location.origin);
  if (!open) return self.clients.openWindow(url);

  const focused = await open.focus().catch(() => open);
  try {
    return await focused.navigate(url);
  } catch {
    // A page this worker does not control cannot be steered; open a new one.
    return self.clients.openWindow(url);
  }
}
