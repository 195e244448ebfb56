// Telling the server how this phone is set up: the trainer's checklist and
// support view are drawn from these reports. Runs in a page or the worker;
// what only a page can see (how the app was opened, the push subscription
// the page made, storage) is noted in `meta` by the page and read there by
// the worker. A report goes only when it would say something new.
import { APP_VERSION, call } from "./api.js";
import { database } from "./db.js";
import { platform, standalone } from "./install.js";

const SENT = "reported";

export async function report(token) {
  const db = await database();
  const facts = await currentFacts(db);
  const wire = JSON.stringify(facts);
  if (wire === (await db.get("meta", SENT))) return null;

  const answer = await call("/api/devices/report", { token, method: "PUT", json: facts });
  await db.put("meta", wire, SENT);
  return answer;
}

async function currentFacts(db) {
  const [phone, testPush, firstSync, outbox] = await Promise.all([
    phoneFacts(db),
    db.get("meta", "test_push"),
    db.get("meta", "first_synced"),
    db.getAllFromIndex("outbox", "state", "pending"),
  ]);
  return {
    app_version: APP_VERSION,
    platform: phone.platform || "other",
    installed: Boolean(phone.installed),
    notifications: phone.notifications || "default",
    push_subscribed: Boolean(phone.push_subscribed),
    test_push_id: testPush?.id || null,
    first_sync_at: firstSync || null,
    pending_changes: outbox.length,
    storage_persisted: Boolean(phone.storage_persisted),
  };
}

/** Installed stays true once seen: the browser tab of an installed app counts. */
async function phoneFacts(db) {
  const kept = (await db.get("meta", "device")) || {};
  if (typeof document === "undefined") return kept;
  const facts = {
    platform: platform(),
    installed: Boolean(kept.installed) || standalone(),
    notifications: permission(),
    push_subscribed: await subscribed(),
    storage_persisted: await persisted(),
  };
  await db.put("meta", facts, "device");
  return facts;
}

function permission() {
  if (typeof Notification === "undefined") return "unsupported";
  return Notification.permission;
}

async function subscribed() {
  const registration = await navigator.serviceWorker?.getRegistration();
  const subscription = await registration?.pushManager?.getSubscription()
    .catch(() => null);
  return Boolean(subscription);
}

async function persisted() {
  return navigator.storage?.persisted ? navigator.storage.persisted() : false;
}
