// Telling every open tab, and the worker, that local data changed.
const channel = typeof BroadcastChannel === "function"
  ? new BroadcastChannel("casehub") : null;
const listeners = new Set();

/** kind: "local" (a member's change), "synced", or "signed-out". */
export function announceChange(kind, detail = {}) {
  const message = { kind, ...detail };
  listeners.forEach((listener) => listener(message));
  channel?.postMessage(message);
}

export function onChange(listener) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

if (channel) {
  channel.onmessage = (event) => listeners.forEach((listener) => listener(event.data));
}
