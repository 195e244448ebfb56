// Push alerts on this phone: whether it can have them, subscribing and
// unsubscribing, and keeping the server's copy of the subscription current.
import { call } from "./api.js";
import { database, referenceOf } from "./db.js";
import { onIos, standalone } from "./install.js";

/** The kinds of alert a member may choose, in the words the settings show. */
export const ALERT_KINDS = [
  ["acknowledged", "The hub has acknowledged a case"],
  ["handoff", "A case is handed to a department"],
  ["status", "A case's status changes"],
  ["reply", "The hub replies on a case"],
  ["due_soon", "An answer is due within a day"],
  ["overdue", "An answer is overdue"],
  ["resolved", "A case is resolved"],
  ["closed", "A case is closed"],
];

// What this phone's subscription was made with, kept beside the token.
const META_KEY = "push";

/**
 * "home-screen": an iPhone or iPad in a browser tab, where only an app added
 * to the Home Screen may have alerts. "unsupported", "blocked", "off", "on".
 */
export async function alertState() {
  if (onIos() && !standalone()) return "home-screen";
  if (!("PushManager" in self) || !("Notification" in self)
      || !("serviceWorker" in navigator)) {
    return "unsupported";
  }
  if (Notification.permission === "denied") return "blocked";

  const kept = await (await database()).get("meta", META_KEY);
  return kept && Notification.permission === "granted" ? "on" : "off";
}

/**
 * Turn alerts on. Call straight from the member's tap: browsers only ask
 * for permission during a user gesture. Resolves to the new state.
 */
export async function enableAlerts() {
  const permission = await Notification.requestPermission();
  if (permission !== "granted") return permission === "denied" ? "blocked" : "off";

  const db = await database();
  const token = await db.get("meta", "token");
  const key = await call("/api/push/key", { token, method: "GET" });
  await subscribeWith(db, token, key, await currentSubscription());
  return "on";
}

/** Turn alerts off here and at the server. */
export async function disableAlerts() {
  const db = await database();
  const token = await db.get("meta", "token");
  const subscription = await currentSubscription().catch(() => null);
  await subscription?.unsubscribe().catch(() => false);
  await db.delete("meta", META_KEY);
  await call("/api/push/subscription", { token, method: "DELETE" });
}

/**
 * Drop this phone's subscription before signing out, at the server too even
 * when the browser had lost it. Offline, the push service's refusal of the
 * dead subscription later tells the server instead.
 */
export async function forgetAlerts(token) {
  const subscription = await currentSubscription().catch(() => null);
  await subscription?.unsubscribe().catch(() => false);
  await call("/api/push/subscription", { token, method: "DELETE" }).catch(() => {});
}

/**
 * At every start: subscribe again when the server's key changed or the
 * browser dropped or replaced the subscription, and tell the server which
 * one this phone holds. Push services can end a subscription at any time
 * without telling the page, so this is how a phone keeps getting alerts.
 */
export async function refreshAlerts() {
  if (await alertState() !== "on") return;
  const db = await database();
  const token = await db.get("meta", "token");
  if (!token) return;

  const key = await call("/api/push/key", { token, method: "GET" });
  const kept = await db.get("meta", META_KEY);
  const subscription = await currentSubscription();
  const current = subscription && kept.key_id === key.key_id
    && subscription.endpoint === kept.endpoint;
  if (current) {
    await send(token, subscription);
    return;
  }
  await subscribeWith(db, token, key, subscription);
}

async function subscribeWith(db, token, key, previous) {
  const registration = await navigator.serviceWorker.ready;
  // A subscription is tied to the key it was made with.
  await previous?.unsubscribe().catch(() => false);
  const subscription = await registration.pushManager.subscribe({
    userVisibleOnly: true,
    applicationServerKey: bytesOf(key.public_key),
  });
  await send(token, subscription);
  await db.put("meta", { key_id: key.key_id, endpoint: subscription.endpoint }, META_KEY);
}

async function send(token, subscription) {
  const { endpoint, keys } = subscription.toJSON();
  await call("/api/push/subscription", { token, method: "PUT",
    json: { endpoint, keys: { p256dh: keys.p256dh, auth: keys.auth } } });
}

async function currentSubscription() {
  // Not `ready`: that never settles on a phone whose worker failed to install.
  const registration = await navigator.serviceWorker?.getRegistration();
  return registration?.pushManager ? registration.pushManager.getSubscription() : null;
}

function bytesOf(base64url) {
  const base64 = base64url.replace(/-/g, "+").replace(/_/g, "/");
  const padded = base64 + "=".repeat((4 - (base64.length % 4)) % 4);
  return Uint8Array.from(atob(padded), (char) => char.charCodeAt(0));
}

/**
 * The member's choice of alerts: the server's, with any choices not yet
 * sent laid on top in the order they were made. Every kind is on until
 * the member turns it off.
 */
export async function chosenAlerts() {
  const db = await database();
  const outbox = await db.getAll("outbox");
  const [settings] = await referenceOf("settings");

  const chosen = Object.fromEntries(ALERT_KINDS.map(([kind]) => [kind, true]));
  Object.assign(chosen, settings?.alerts || {});
  for (const entry of outbox) {
    if (entry.name === "settings.alerts" && entry.state !== "rejected") {
      Object.assign(chosen, entry.args.alerts);
    }
  }
  return chosen;
}
