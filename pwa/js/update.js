// The worker that keeps the app usable offline, and the "new version is
// ready" prompt. A new worker waits until the member accepts it, so a page
// never runs against files from a different version.
export async function registerWorker() {
  if (!("serviceWorker" in navigator)) return;
  const registration = await navigator.serviceWorker.register("/service-worker.js",
    { type: "module", scope: "/" });

  if (registration.waiting && navigator.serviceWorker.controller) {
    offer(registration.waiting);
  }
  registration.addEventListener("updatefound", () => {
    const incoming = registration.installing;
    incoming?.addEventListener("statechange", () => {
      if (incoming.state === "installed" && navigator.serviceWorker.controller) {
        offer(incoming);
      }
    });
  });
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") registration.update().catch(() => {});
  });
}

let reloading = false;

function offer(worker) {
  const banner = document.getElementById("update-banner");
  const accept = document.getElementById("update-accept");
  banner.hidden = false;
  accept.onclick = () => {
    accept.disabled = true;
    navigator.serviceWorker.addEventListener("controllerchange", () => {
      if (reloading) return;
      reloading = true;
      location.reload();
    });
    worker.postMessage({ type: "SKIP_WAITING" });
  };
}
