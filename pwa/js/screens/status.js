// Sync status: what is waiting to go, when the phone last heard from the
// server, and a button to try now.
import { database } from "../db.js";
import { announce, h, when } from "../dom.js";
import { syncNow } from "../scheduler.js";

export async function syncScreen() {
  const db = await database();
  const outbox = await db.getAll("outbox");
  const waiting = outbox.filter((entry) => entry.state === "pending").length;
  const lastSynced = await db.get("meta", "last_synced");
  const lastError = await db.get("meta", "last_error");

  const button = h("button", { type: "button", id: "sync-now" }, "Sync now");
  button.addEventListener("click", async () => {
    button.disabled = true;
    try {
      await syncNow();
      announce("Sync finished.");
    } catch {
      announce("Sync failed. The app tries again by itself.");
    }
    dispatchEvent(new HashChangeEvent("hashchange"));
  });

  return [
    h("h1", { tabindex: "-1" }, "Sync"),
    h("dl", { class: "details" },
      h("dt", {}, "Changes waiting to be sent"),
      h("dd", { id: "sync-pending" }, String(waiting)),
      h("dt", {}, "Last synced"),
      h("dd", { id: "sync-last" }, lastSynced ? when(lastSynced) : "Not yet"),
      lastError ? [h("dt", {}, "Last problem"), h("dd", { id: "sync-error" }, lastError)]
        : null),
    h("p", { class: "hint" }, navigator.onLine ? "" : "This phone seems to be offline."),
    button,
  ];
}
