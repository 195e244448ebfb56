// One case: its details, its timeline, and what the member may do next.
import { database, getMeta, referenceOf } from "../db.js";
import { STATUS_WORDS, announce, h, showErrors, when } from "../dom.js";
import { mutate, newId } from "../local.js";
import { eventsOf, loadView } from "../view.js";
import { marks } from "./cases.js";

const WITHDRAWABLE = new Set(["submitted", "acknowledged", "with_department",
  "in_progress", "reopened"]);

export async function caseScreen({ id }) {
  const { cases } = await loadView();
  const found = cases.find((one) => one.id === id);
  if (!found) {
    return [h("h1", { tabindex: "-1" }, "Case not found"),
      h("p", {}, h("a", { href: "#cases" }, "Back to my cases"))];
  }
  const categories = new Map((await referenceOf("category")).map((c) => [c.id, c]));
  const category = categories.get(found.category_id);
  const events = [...(await eventsOf(id)), ...found.local];

  return [
    h("h1", { tabindex: "-1" }, found.reference || "New case"),
    h("p", { class: "status", id: "case-status-text" },
      STATUS_WORDS[found.status] || found.status),
    marks(found),
    details(found, category),
    await photoList(found.photos || []),
    h("h2", {}, "Timeline"),
    h("ol", { class: "timeline", id: "timeline" }, events.map(timelineEntry)),
    found.reference || found.unsynced ? noteForm(found) : null,
    WITHDRAWABLE.has(found.status) && !found.rejection ? withdrawForm(found) : null,
    h("p", {}, h("a", { href: "#cases" }, "Back to my cases")),
  ];
}

function details(found, category) {
  const rows = [
    ["Kind", found.kind === "member_enquiry" ? "Member enquiry" : "Just log it"],
    ["Category", category?.name || ""],
    ["Description", found.description],
    ...Object.entries(found.answers || {}).map(([key, value]) => [
      category?.questions?.find((q) => q.id === key)?.label || key, String(value)]),
    ["Constituent", [found.constituent?.name, found.constituent?.address]
      .filter(Boolean).join(", ")],
    ["Location", place(found.location)],
  ].filter(([, value]) => value);
  return h("dl", { class: "details" },
    rows.map(([term, value]) => [h("dt", {}, term), h("dd", {}, value)]));
}

function place(location) {
  if (!location) return "";
  if (location.latitude != null) {
    const where = `${location.latitude.toFixed(5)}, ${location.longitude.toFixed(5)}`;
    return location.accuracy != null
      ? `${where} (within ${Math.round(location.accuracy)} m)` : where;
  }
  return location.address || "";
}

async function photoList(hashes) {
  if (hashes.length === 0) return null;
  const db = await database();
  const token = await getMeta("token");
  const items = [];
  for (const [index, sha] of hashes.entries()) {
    const img = h("img", { alt: `Photo ${index + 1}` });
    const local = await db.get("photos", sha);
    if (local) img.src = URL.createObjectURL(local.blob);
    else fetchPhoto(sha, token, img);
    items.push(h("li", {}, img));
  }
  return [h("h2", {}, "Photos"), h("ul", { class: "photos" }, items)];
}

async function fetchPhoto(sha, token, img) {
  try {
    const response = await fetch(`/api/photos/${sha}`,
      { headers: { Authorization: `Bearer ${token}` } });
    if (response.ok) img.src = URL.createObjectURL(await response.blob());
  } catch {
    img.alt += " (shown when there is signal)";
  }
}

const EVENT_WORDS = {
  created: () => "Case raised",
  note: (data) => `Note: ${data.text}`,
  reply: (data) => `Reply: ${data.text}`,
  photo: () => "Photo added",
  status_change: (data) =>
    `Status changed to ${STATUS_WORDS[data.to] || data.to}` + (data.note ? `: ${data.note}` : ""),
  handoff: () => "Passed to the department",
};

function timelineEntry(event) {
  const words = (EVENT_WORDS[event.kind] || (() => event.kind))(event.data || {});
  return h("li", {},
    h("div", {}, words),
    h("div", { class: "hint" }, [event.author?.name, when(event.created_at)]
      .filter(Boolean).join(" · ")),
    event.unsynced ? h("span", { class: "mark unsynced" }, "Not yet sent") : null);
}

function noteForm(found) {
  const text = h("textarea", { id: "note-text", rows: "3", maxlength: "5000" });
  const form = h("form", { novalidate: true },
    h("label", { for: "note-text" }, "Add a note"), text,
    h("button", { type: "submit" }, "Add note"));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!text.value.trim()) {
      showErrors(form, [{ id: "note-text", label: "Add a note",
        message: "Write the note first." }]);
      return;
    }
    await mutate("case.note", { case_id: found.id, event_id: newId(),
      text: text.value.trim() });
    announce("Note saved on this phone.");
    dispatchEvent(new HashChangeEvent("hashchange"));
  });
  return form;
}

function withdrawForm(found) {
  const reason = h("input", { type: "text", id: "withdraw-reason", maxlength: "1000" });
  const form = h("form", { novalidate: true },
    h("h2", {}, "Withdraw this case"),
    h("label", { for: "withdraw-reason" }, "Reason (optional)"), reason,
    h("button", { type: "submit", class: "danger" }, "Withdraw case"));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    await mutate("case.withdraw", { case_id: found.id, event_id: newId(),
      reason: reason.value.trim() || null });
    announce("Case withdrawn on this phone.");
    dispatchEvent(new HashChangeEvent("hashchange"));
  });
  return form;
}

