// Settings: alerts, whether the phone keeps our data safe, and signing out.
import { call } from "../api.js";
import { database, wipe } from "../db.js";
import { h } from "../dom.js";
import { alertsSection } from "./alerts.js";
import { forgetAlerts } from "../alerts.js";
import { askToPersist, isPersisted } from "../storage.js";
import { announceChange } from "../signals.js";

export async function settingsScreen() {
  const db = await database();
  const user = await db.get("meta", "user");
  const unsent = (await db.getAll("outbox")).filter((e) => e.state === "pending").length;
  const persisted = await isPersisted();

  const persist = h("button", { type: "button", class: "secondary", id: "persist" },
    "Ask to keep data on this phone");
  persist.addEventListener("click", async () => {
    await askToPersist();
    dispatchEvent(new HashChangeEvent("hashchange"));
  });

  return [
    h("h1", { tabindex: "-1" }, "Settings"),
    h("p", {}, `Signed in as ${user?.name || ""}${user?.ward ? `, ${user.ward}` : ""}.`),
    h("ul", { class: "links" },
      h("li", {}, h("a", { href: "#setup" }, "Set up this phone")),
      h("li", {}, h("a", { href: "#feedback" }, "Give feedback"))),
    await alertsSection(),
    h("h2", {}, "Storage"),
    h("p", { id: "storage-state" }, persisted
      ? "Kept: the browser will not clear this app's data to free space."
      : "Not kept: the browser may clear this app's data when space runs low."),
    persisted ? null : persist,
    h("h2", {}, "Sign out"),
    signOutForm(db, unsent),
  ];
}

function signOutForm(db, unsent) {
  const warning = h("p", { class: "error", id: "sign-out-warning", role: "alert" });
  const button = h("button", { type: "button", class: "danger", id: "sign-out" },
    "Sign out of this phone");
  let warned = unsent === 0;

  button.addEventListener("click", async () => {
    if (!warned) {
      warned = true;
      warning.textContent = `${unsent} change${unsent === 1 ? " has" : "s have"} not ` +
        "been sent yet and will be lost. Sync first, or press again to sign out anyway.";
      button.textContent = "Sign out and lose unsent changes";
      return;
    }
    await signOut(db);
  });
  return h("div", {}, warning, button);
}

async function signOut(db) {
  const token = await db.get("meta", "token");
  const deviceId = await db.get("meta", "device_id");
  // The next person on this phone must not get this member's alerts.
  await forgetAlerts(token);
  try {
    await call(`/api/devices/${deviceId}`, { token, method: "DELETE" });
  } catch {
    // Offline: the token dies with the data here; the council can revoke it.
  }
  await wipe();
  announceChange("signed-out", { reason: "" });
}
