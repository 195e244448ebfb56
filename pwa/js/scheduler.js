// When the page syncs: at start, when the network returns, when the app is
// looked at again, soon after each change, every few minutes, and on request.
// Failures back off with jitter so sixty phones do not retry in step.
import { syncOnce } from "./sync.js";
import { onChange } from "./signals.js";

const AFTER_CHANGE_MS = 1500;
const EVERY_MS = 3 * 60 * 1000;
const BACKOFF_BASE_MS = 5000;
const BACKOFF_CAP_MS = 5 * 60 * 1000;

let timer = null;
let failures = 0;
let running = null;

export function startSyncing() {
  window.addEventListener("online", () => {
    failures = 0;
    soon(0);
  });
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") soon(0);
  });
  onChange((message) => {
    if (message.kind === "local") {
      soon(AFTER_CHANGE_MS);
      askWorkerToSync();
    }
  });
  setInterval(() => {
    if (document.visibilityState === "visible") soon(0);
  }, EVERY_MS);
  soon(0);
}

/** Sync now; resolves when this round is done, rejects if it failed. */
export function syncNow() {
  clearTimeout(timer);
  if (!running) {
    running = syncOnce()
      .then((outcome) => {
        failures = 0;
        return outcome;
      })
      .catch((error) => {
        failures += 1;
        soon(backoff());
        throw error;
      })
      .finally(() => { running = null; });
  }
  return running;
}

function soon(delay) {
  clearTimeout(timer);
  timer = setTimeout(() => syncNow().catch(() => {}), delay);
}

function backoff() {
  const ceiling = Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** (failures - 1));
  return ceiling / 2 + Math.random() * (ceiling / 2);
}

/** Where the browser has Background Sync, the worker finishes the job. */
async function askWorkerToSync() {
  try {
    const registration = await navigator.serviceWorker?.ready;
    await registration?.sync?.register("casehub-sync");
  } catch {
    // Background Sync is a bonus; the page's own triggers still run.
  }
}
