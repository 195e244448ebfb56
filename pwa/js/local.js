// Changes the member makes on the phone. Each is one outbox entry, written
// with anything it needs (photos, the next number) in one transaction, so a
// change is either fully recorded or not at all.
import { database } from "./db.js";
import { announceChange } from "./signals.js";

/** Record a mutation for the server; the screens show it at once. */
export async function mutate(name, args, photos = []) {
  const db = await database();
  const tx = db.transaction(["meta", "outbox", "photos"], "readwrite");
  const meta = tx.objectStore("meta");

  const seq = (await meta.get("next_seq")) || 1;
  const entry = {
    id: crypto.randomUUID(),
    seq,
    name,
    args,
    client_time: new Date().toISOString(),
    state: "pending",
  };
  const writes = [
    meta.put(seq + 1, "next_seq"),
    tx.objectStore("outbox").add(entry),
    ...photos.map((photo) => tx.objectStore("photos").put({ ...photo, uploaded: false })),
  ];
  await Promise.all([...writes, tx.done]);

  announceChange("local");
  return entry;
}

export function newId() {
  return crypto.randomUUID();
}
