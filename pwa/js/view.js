// What the member sees: the server's cases with their own unsent changes
// laid on top, and the reasons for any the server turned down.
import { database } from "./db.js";

export async function loadView() {
  const db = await database();
  const tx = db.transaction(["cases", "outbox", "meta"]);
  const [serverCases, outbox, rejections, user] = await Promise.all([
    tx.objectStore("cases").getAll(),
    tx.objectStore("outbox").getAll(),
    tx.objectStore("meta").get("rejections"),
    tx.objectStore("meta").get("user"),
  ]);

  const cases = new Map(serverCases.map((data) => [data.id, { ...data, local: [] }]));
  for (const entry of outbox) {
    if (entry.state !== "rejected") project(cases, entry, user);
  }
  for (const rejection of rejections || []) markRejected(cases, rejection);
  return { cases: [...cases.values()], outbox, user };
}

function project(cases, entry, user) {
  const args = entry.args;
  let found = cases.get(args.case_id);
  if (entry.name === "case.create" && !found) {
    found = draftCase(entry);
    cases.set(found.id, found);
  }
  if (!found) return;

  found.unsynced = true;
  found.updated_at = later(found.updated_at, entry.client_time);
  if (entry.name === "case.note") {
    found.local.push(localEvent(entry, user, "note", { text: args.text }));
  }
  if (entry.name === "case.withdraw") {
    found.local.push(localEvent(entry, user, "status_change",
      { from: found.status, to: "withdrawn", note: args.reason || null }));
    found.status = "withdrawn";
  }
}

function draftCase(entry) {
  const args = entry.args;
  return {
    id: args.case_id,
    reference: null,
    kind: args.kind,
    category_id: args.category_id,
    description: args.description,
    answers: args.answers,
    constituent: args.constituent,
    location: args.location,
    photos: args.photos,
    status: "submitted",
    created_at: entry.client_time,
    updated_at: entry.client_time,
    local: [],
  };
}

function localEvent(entry, user, kind, data) {
  return {
    id: entry.args.event_id,
    case_id: entry.args.case_id,
    kind,
    data,
    author: { name: user?.name || "You", role: "member" },
    created_at: entry.client_time,
    unsynced: true,
  };
}

function markRejected(cases, rejection) {
  const caseId = rejection.args?.case_id;
  let found = cases.get(caseId);
  if (!found && rejection.name === "case.create" && rejection.args) {
    found = draftCase({ args: rejection.args, client_time: rejection.client_time });
    found.status = "not_accepted";
    cases.set(found.id, found);
  }
  if (found) found.rejection = rejection;
}

function later(a, b) {
  if (!a) return b;
  if (!b) return a;
  return Date.parse(a) > Date.parse(b) ? a : b;
}

export async function eventsOf(caseId) {
  const db = await database();
  const events = await db.getAllFromIndex("events", "case_id", caseId);
  return events.sort((a, b) => (a.created_at < b.created_at ? -1 : 1));
}
