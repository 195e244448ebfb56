// The phone's own database: what it knows from the server, and what it has
// yet to send. Every screen and the syncer read and write through here.
import { openDB } from "../vendor/idb/index.js";

export const DB_NAME = "casehub";
export const DB_VERSION = 2;
export const STORES = ["meta", "cases", "events", "reference", "photos", "outbox"];
// Server state that a pull `reset` replaces. The outbox and photos stay.
export const PULLED_STORES = ["cases", "events", "reference"];

let opening = null;

/** The open database, reopened if the browser closed it under us. */
export function database() {
  if (!opening) {
    opening = openDB(DB_NAME, DB_VERSION, {
      upgrade,
      blocking(currentVersion, blockedVersion, event) {
        // A newer app wants to upgrade: let it, and reload into it.
        event.target.close();
        opening = null;
      },
      terminated() {
        opening = null;
      },
    });
    opening.catch(() => { opening = null; });
  }
  return opening;
}

/**
 * One step per version. A step may reshape stores but must carry the
 * outbox across: it holds changes the member made that the server lacks.
 */
function upgrade(db, oldVersion, newVersion, tx) {
  if (oldVersion < 1) {
    db.createObjectStore("meta");
    db.createObjectStore("cases", { keyPath: "id" });
    const events = db.createObjectStore("events", { keyPath: "id" });
    events.createIndex("case_id", "case_id");
    db.createObjectStore("reference", { keyPath: "key" });
    db.createObjectStore("photos", { keyPath: "sha256" });
    db.createObjectStore("outbox", { keyPath: "seq" });
  }
  if (oldVersion < 2) {
    // Find unsent or refused changes by their state, and a member's cases by
    // their last change, without reading every row.
    tx.objectStore("outbox").createIndex("state", "state");
    tx.objectStore("cases").createIndex("updated_at", "updated_at");
  }
}

export async function getMeta(key) {
  return (await database()).get("meta", key);
}

export async function setMeta(key, value) {
  return (await database()).put("meta", value, key);
}

/** Forget everything on this phone: used at sign out and on revocation. */
export async function wipe() {
  const db = await database();
  const tx = db.transaction(STORES, "readwrite");
  await Promise.all([...STORES.map((name) => tx.objectStore(name).clear()), tx.done]);
}

export async function referenceOf(entity) {
  const db = await database();
  const rows = await db.getAll("reference");
  return rows.filter((row) => row.entity === entity).map((row) => row.data);
}
