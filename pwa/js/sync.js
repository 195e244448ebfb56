// One round of sync: send the outbox, then pull until the server has no
// more. Runs in a page or in the worker, one at a time across all of them.
import { APP_VERSION, PROTOCOL, Problem, call } from "./api.js";
import { PULLED_STORES, database, wipe } from "./db.js";
import { report } from "./report.js";
import { announceChange } from "./signals.js";

const LOCK = "casehub-sync";
const BATCH = 100;
const PAGE = 500;
const WIPE_CODES = new Set(["device_revoked", "user_inactive", "invalid_token"]);

/** Sync now, waiting for any round already running elsewhere to finish. */
export async function syncOnce() {
  if (navigator.locks) {
    return navigator.locks.request(LOCK, () => round());
  }
  return round();
}

async function round() {
  const db = await database();
  const token = await db.get("meta", "token");
  if (!token) return { skipped: true };

  // Before sending: the trainer then sees what waits even if sending fails.
  await report(token).catch(() => {});
  try {
    await pushOutbox(db, token);
    await pullAll(db, token);
  } catch (error) {
    if (error instanceof Problem && WIPE_CODES.has(error.code)) {
      await wipe();
      announceChange("signed-out", { reason: error.message });
      return { signedOut: true };
    }
    await db.put("meta", errorText(error), "last_error");
    announceChange("synced", { ok: false });
    throw error;
  }

  const now = new Date().toISOString();
  if (!(await db.get("meta", "first_synced"))) await db.put("meta", now, "first_synced");
  await db.put("meta", now, "last_synced");
  await db.delete("meta", "last_error");
  await report(token).catch(() => {});
  announceChange("synced", { ok: true });
  return { ok: true };
}

function errorText(error) {
  if (error instanceof Problem) return error.message;
  return "The server could not be reached.";
}

async function pushOutbox(db, token) {
  for (;;) {
    const waiting = (await db.getAll("outbox")).filter((e) => e.state === "pending");
    if (waiting.length === 0) return;

    const batch = waiting.slice(0, BATCH);
    await uploadPhotos(db, token, batch);
    let answer;
    try {
      answer = await call("/api/sync/push", {
        token,
        json: { protocol: PROTOCOL, app_version: APP_VERSION, mutations: batch.map(wire) },
      });
    } catch (error) {
      if (error instanceof Problem && error.code === "mutation_gap") {
        await renumber(db, error.body.expected_seq);
        continue;
      }
      throw error;
    }

    const stalled = await recordResults(db, batch, answer.results);
    if (stalled) return;
  }
}

function wire(entry) {
  return { id: entry.id, seq: entry.seq, name: entry.name, args: entry.args,
    client_time: entry.client_time };
}

/** Photos go up before the mutation that names them. */
async function uploadPhotos(db, token, batch) {
  const named = batch.flatMap((entry) => [
    ...(entry.args.photos || []),
    ...(entry.args.sha256 ? [entry.args.sha256] : []),
  ]);
  for (const sha of named) {
    const photo = await db.get("photos", sha);
    if (!photo || photo.uploaded) continue;

    await call(`/api/photos/${sha}`, { token, method: "PUT", body: photo.blob,
      type: photo.type });
    await db.put("photos", { ...photo, uploaded: true });
  }
}

/** Note what became of each mutation; true when the server asks us to wait. */
async function recordResults(db, batch, results) {
  const tx = db.transaction(["outbox", "meta"], "readwrite");
  const outbox = tx.objectStore("outbox");
  const bySeq = new Map(batch.map((entry) => [entry.seq, entry]));
  let stalled = false;
  let rejections = (await tx.objectStore("meta").get("rejections")) || [];

  for (const result of results) {
    const entry = bySeq.get(result.seq);
    if (!entry) continue;
    if (result.status === "not_yet") {
      stalled = true;
      continue;
    }
    if (result.status === "rejected") {
      rejections = withRejection(rejections, entry, result.error);
    }
    const state = result.status === "rejected" ? "rejected" : "sent";
    await outbox.put({ ...entry, state });
  }
  await tx.objectStore("meta").put(rejections, "rejections");
  await tx.done;
  return stalled;
}

function withRejection(rejections, entry, error) {
  if (rejections.some((known) => known.id === entry.id)) return rejections;
  return [...rejections, {
    id: entry.id, seq: entry.seq, name: entry.name, args: entry.args,
    client_time: entry.client_time,
    code: error?.code || "rejected",
    detail: error?.detail || "The council's system did not accept this change.",
    field: error?.field || null,
  }];
}

/** The server lost track of our numbering: carry on from where it is. */
async function renumber(db, expected) {
  const tx = db.transaction(["outbox", "meta"], "readwrite");
  const outbox = tx.objectStore("outbox");
  const entries = (await outbox.getAll()).filter((e) => e.state === "pending");
  let seq = expected;
  for (const entry of entries) await outbox.delete(entry.seq);
  for (const entry of entries) await outbox.put({ ...entry, seq: seq++ });
  await tx.objectStore("meta").put(seq, "next_seq");
  await tx.done;
}

async function pullAll(db, token) {
  for (;;) {
    const cursor = await db.get("meta", "cursor");
    const page = await call("/api/sync/pull", {
      token,
      json: { protocol: PROTOCOL, app_version: APP_VERSION, cursor: cursor || null,
        limit: PAGE },
    });
    await applyPage(db, page);
    if (!page.more) return;
  }
}

/**
 * A case finished long enough ago leaves the phone: its details, timeline and
 * the photos taken for it, once they are safely on the server.
 */
async function release(tx, caseId) {
  const cases = tx.objectStore("cases");
  const found = await cases.get(caseId);
  await cases.delete(caseId);
  const events = tx.objectStore("events");
  for (const key of await events.index("case_id").getAllKeys(caseId)) {
    await events.delete(key);
  }
  const photos = tx.objectStore("photos");
  for (const sha of found?.photos || []) {
    const photo = await photos.get(sha);
    if (photo?.uploaded) await photos.delete(sha);
  }
}

/** A page, its cursor and the outbox trim land together or not at all. */
async function applyPage(db, page) {
  const tx = db.transaction([...PULLED_STORES, "outbox", "meta", "photos"],
    "readwrite");
  const meta = tx.objectStore("meta");
  const outbox = tx.objectStore("outbox");
  if (page.reset) {
    await Promise.all(PULLED_STORES.map((name) => tx.objectStore(name).clear()));
  }

  let rejections = (await meta.get("rejections")) || [];
  for (const change of page.changes) {
    if (change.entity === "case") await tx.objectStore("cases").put(change.data);
    else if (change.entity === "event") await tx.objectStore("events").put(change.data);
    else if (change.entity === "release") await release(tx, change.data.case_id);
    else if (change.entity === "rejection") {
      const entry = (await outbox.get(change.data.seq)) || { id: change.id, ...change.data,
        args: {} };
      rejections = withRejection(rejections, { ...entry, id: change.id }, change.data);
    } else {
      await tx.objectStore("reference").put({ key: `${change.entity}:${change.id}`,
        entity: change.entity, id: change.id, data: change.data });
    }
  }

  const acknowledged = IDBKeyRange.upperBound(page.acknowledged_seq);
  await outbox.delete(acknowledged);
  await meta.put(rejections, "rejections");
  await meta.put(page.cursor, "cursor");
  await tx.done;
}
