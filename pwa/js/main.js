// The app's entry: pick the screen from the address, keep it fresh as sync
// brings news, and start the worker and the syncer.
import { refreshAlerts } from "./alerts.js";
import { database } from "./db.js";
import { announce } from "./dom.js";
import { startSyncing, syncNow } from "./scheduler.js";
import { onChange } from "./signals.js";
import { watchForInstall } from "./install.js";
import { caseScreen } from "./screens/case.js";
import { casesScreen } from "./screens/cases.js";
import { feedbackScreen } from "./screens/feedback.js";
import { joinScreen } from "./screens/join.js";
import { raiseScreen } from "./screens/raise.js";
import { settingsScreen } from "./screens/settings.js";
import { setupScreen } from "./screens/setup.js";
import { syncScreen } from "./screens/status.js";
import { registerWorker } from "./update.js";

const main = document.getElementById("main");
const nav = document.getElementById("nav");
let syncing = false;
let notice = "";
let shownRoute = null;

function route() {
  const hash = decodeURIComponent(location.hash.slice(1));
  if (hash.startsWith("join")) return { name: "join", code: hash.split("=")[1] || "" };
  if (hash.startsWith("case/")) return { name: "case", id: hash.slice(5) };
  if (["raise", "sync", "settings", "setup", "feedback"].includes(hash)) {
    return { name: hash };
  }
  return { name: "cases" };
}

const SCREENS = {
  join: (where) => joinScreen({ code: where.code, notice }),
  cases: () => casesScreen(currentFilters()),
  case: (where) => caseScreen(where),
  raise: () => raiseScreen(),
  sync: () => syncScreen(),
  settings: () => settingsScreen(),
  setup: () => setupScreen(),
  feedback: () => feedbackScreen(),
};

let drawing = Promise.resolve();

/** Draw the screen; draws run one after another so none undoes another. */
function render() {
  drawing = drawing.then(draw, draw);
  return drawing;
}

async function draw() {
  const db = await database();
  const token = await db.get("meta", "token");
  let where = route();
  if (!token && where.name !== "join") {
    location.replace("#join");
    where = route();
  }
  if (token && !syncing) {
    syncing = true;
    startSyncing();
    // Offline, or no push service: the next start tries again.
    refreshAlerts().catch(() => {});
  }
  nav.hidden = !token;

  const moved = location.hash !== shownRoute;
  shownRoute = location.hash;
  const focused = document.activeElement;
  const content = [await SCREENS[where.name](where)].flat(Infinity).filter(Boolean);
  main.replaceChildren(...content);
  // A new screen starts at its heading; a refreshed one keeps the member's place.
  if (moved || focused?.tagName === "H1") main.querySelector("h1")?.focus();
  else if (focused?.id && !focused.isConnected) document.getElementById(focused.id)?.focus();
  await showPending(db);
}

function currentFilters() {
  return {
    query: document.getElementById("case-search")?.value || "",
    status: document.getElementById("case-status")?.value || "",
  };
}

async function showPending(db) {
  const badge = document.getElementById("pending-badge");
  const waiting = (await db.getAll("outbox")).filter((e) => e.state === "pending").length;
  badge.hidden = waiting === 0;
  badge.textContent = waiting ? `${waiting} unsent` : "";
}

onChange(async (message) => {
  if (message.kind === "signed-out") {
    notice = message.reason
      ? `${message.reason} Everything on this phone has been removed.` : "";
    shownRoute = null;
    location.hash = "#join";
    render();
    return;
  }
  if (message.kind === "synced" && message.ok) announce("Up to date.");
  // Keep a half-filled form as it is; other screens show the news at once.
  const started = document.getElementById("feedback-form")?.dataset.started;
  if (!["raise", "join"].includes(route().name) && !started) render();
  else showPending(await database());
});

window.addEventListener("hashchange", () => render());
// An install offered or done changes the set-up screen and the next report.
watchForInstall(() => {
  if (route().name === "setup") render();
  syncNow().catch(() => {});
});
registerWorker();
render();
