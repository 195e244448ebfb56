// Setting up this phone, step by step, with a trainer or alone: install the
// app, turn alerts on, try a practice case, get a test alert, sync once and
// keep the data safe. Each step ticks itself from what the phone can tell.
import { Problem, call } from "../api.js";
import { alertState, enableAlerts } from "../alerts.js";
import { database } from "../db.js";
import { announce, h } from "../dom.js";
import { canOfferInstall, offerInstall, onIos, platform, standalone } from "../install.js";
import { syncNow } from "../scheduler.js";
import { askToPersist, isPersisted } from "../storage.js";
import { homeScreenSteps } from "./alerts.js";

export async function setupScreen() {
  const db = await database();
  const [alerts, persisted, firstSync, testPush, cases, outbox] = await Promise.all([
    alertState(), isPersisted(), db.get("meta", "first_synced"),
    db.get("meta", "test_push"), db.count("cases"), db.getAll("outbox"),
  ]);
  const installed = standalone() || Boolean((await db.get("meta", "device"))?.installed);
  const raised = cases > 0 || outbox.some((entry) => entry.name === "case.create");
  const steps = [
    step("install", "Install casehub", installed, installStep(installed)),
    step("alerts", "Turn on alerts", alerts === "on", alertsStep(alerts)),
    step("practice", "Raise a practice case", raised, practiceStep()),
    step("test-alert", "Get a test alert", Boolean(testPush),
      testStep(alerts === "on", testPush)),
    step("first-sync", "Sync for the first time", Boolean(firstSync), syncStep()),
    step("storage", "Keep this phone's data safe", persisted, storageStep()),
  ];
  const done = steps.filter((one) => one.done).length;

  return [
    h("h1", { tabindex: "-1" }, "Set up this phone"),
    h("p", { id: "setup-progress" }, `${done} of ${steps.length} steps done.`,
      done === steps.length ? " This phone is ready." : ""),
    h("ol", { class: "setup", id: "setup-steps" }, steps.map((one) => one.item)),
    h("p", {}, h("a", { href: "#cases" }, "Go to my cases")),
  ];
}

function step(id, title, done, body) {
  const item = h("li", { id: `step-${id}`, class: done ? "done" : "todo" },
    h("h2", {}, title, h("span", { class: "visually-hidden" },
      done ? ": done" : ": to do")),
    done ? h("p", { class: "ok" }, "Done.") : body);
  return { done, item };
}

function installStep(installed) {
  if (installed) return null;
  if (onIos()) return homeScreenSteps();
  if (canOfferInstall()) {
    const button = h("button", { type: "button", id: "install" }, "Install casehub");
    button.addEventListener("click", async () => {
      button.disabled = true;
      if (await offerInstall()) announce("casehub is being installed.");
      redraw();
    });
    return h("div", {}, h("p", {}, "Put casehub on your home screen, so it opens " +
      "like any other app and works without signal."), button);
  }
  const where = platform() === "android" ? "Chrome's menu (the three dots)"
    : "the browser's menu";
  return h("p", { id: "install-by-menu" }, `Open ${where} and choose Install app ` +
    "or Add to Home screen. Then open casehub from its icon.");
}

function alertsStep(state) {
  if (state === "home-screen") {
    return h("p", {}, "On an iPhone or iPad, install casehub first: alerts only " +
      "work from the Home Screen.");
  }
  if (state === "blocked") {
    return h("p", {}, "Notifications for casehub are turned off in the phone's " +
      "settings. Allow them there, then come back here.");
  }
  if (state === "unsupported") {
    return h("p", {}, "This browser cannot show alerts. Use Chrome on Android, or " +
      "Safari from the Home Screen on an iPhone.");
  }
  const problem = h("p", { class: "error", role: "alert", id: "setup-alerts-problem" });
  const button = h("button", { type: "button", id: "setup-alerts" }, "Turn on alerts");
  button.addEventListener("click", async () => {
    button.disabled = true;
    try {
      const now = await enableAlerts();
      if (now !== "on") problem.textContent = "Alerts are still off: the phone " +
        "asked and they were not allowed.";
    } catch (error) {
      problem.textContent = error instanceof Problem ? error.message
        : "Alerts could not be turned on. You need signal for this; try again.";
    }
    redraw();
  });
  return h("div", {}, h("p", {}, "casehub tells you when one of your cases " +
    "moves. The phone will ask whether to allow notifications: choose Allow."),
  problem, button);
}

function practiceStep() {
  return h("p", {}, "Raise a case as you would on a doorstep: choose any " +
    "category and start the description with \u201cPractice\u201d. Afterwards, " +
    "open it and withdraw it. ", h("a", { href: "#raise" }, "Raise a practice case"));
}

function testStep(alertsOn, sent) {
  if (sent) return null;
  if (!alertsOn) return h("p", {}, "Turn on alerts first.");
  const status = h("p", { role: "status", id: "test-alert-status" });
  const button = h("button", { type: "button", id: "send-test-alert" },
    "Send me a test alert");
  button.addEventListener("click", async () => {
    button.disabled = true;
    try {
      const token = await (await database()).get("meta", "token");
      await call("/api/devices/test-push", { token });
      status.textContent = "Sent. It should appear in a few seconds.";
    } catch (error) {
      status.textContent = error instanceof Problem ? error.message
        : "The test alert could not be sent. You need signal; try again.";
      button.disabled = false;
    }
  });
  return h("div", {}, h("p", {}, "Check that alerts reach this phone."), button,
    status);
}

function syncStep() {
  const button = h("button", { type: "button", class: "secondary",
    id: "setup-sync" }, "Sync now");
  button.addEventListener("click", async () => {
    button.disabled = true;
    await syncNow().catch(() => {});
    redraw();
  });
  return h("div", {}, h("p", {}, "The phone fetches your cases and the " +
    "council's categories. It needs signal once."), button);
}

function storageStep() {
  const button = h("button", { type: "button", class: "secondary",
    id: "setup-persist" }, "Keep data on this phone");
  button.addEventListener("click", async () => {
    button.disabled = true;
    await askToPersist();
    redraw();
  });
  return h("div", {}, h("p", {}, "Ask the phone not to clear casehub's data " +
    "when space runs low, so nothing unsent is lost."), button);
}

/** Show the step's new state, and report it so the trainer's list ticks too. */
function redraw() {
  dispatchEvent(new HashChangeEvent("hashchange"));
  syncNow().catch(() => {});
}
