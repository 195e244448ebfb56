// The alerts part of settings: turning alerts on and off on this phone, the
// Home Screen steps an iPhone needs first, and which alerts to send.
import { Problem } from "../api.js";
import { announce, h } from "../dom.js";
import { mutate } from "../local.js";
import {
  ALERT_KINDS, alertState, chosenAlerts, disableAlerts, enableAlerts,
} from "../alerts.js";

const STATE_WORDS = {
  on: "On: this phone shows an alert when one of your cases changes.",
  off: "Off: this phone shows no alerts.",
  blocked: "Blocked: notifications for this app are turned off in the browser or " +
    "the phone's settings. Allow them there, then come back here.",
  unsupported: "This browser cannot show alerts. Open the app in Chrome, Edge, " +
    "Firefox or Safari to have them.",
};

export async function alertsSection() {
  const state = await alertState();
  return h("section", { "aria-labelledby": "alerts-heading" },
    h("h2", { id: "alerts-heading" }, "Alerts"),
    state === "home-screen" ? homeScreenSteps() : switchFor(state),
    await choices());
}

export function homeScreenSteps() {
  return h("div", { id: "alerts-home-screen" },
    h("p", {}, "On an iPhone or iPad, alerts only work once casehub is added to " +
      "the Home Screen. To add it:"),
    h("ol", {},
      h("li", {}, "Tap the Share button (a square with an arrow pointing up) in " +
        "Safari's toolbar."),
      h("li", {}, "Scroll down and tap Add to Home Screen, then Add."),
      h("li", {}, "Open casehub from its icon on the Home Screen, join again, and " +
        "turn alerts on here.")));
}

function switchFor(state) {
  const status = h("p", { id: "alerts-state" }, STATE_WORDS[state]);
  if (state !== "on" && state !== "off") return status;

  const button = h("button", { type: "button", id: "alerts-toggle",
    class: state === "on" ? "secondary" : null },
  state === "on" ? "Turn off alerts" : "Turn on alerts");
  const problem = h("p", { class: "error", id: "alerts-problem", role: "alert" });
  button.addEventListener("click", async () => {
    button.disabled = true;
    problem.textContent = "";
    try {
      if (state === "on") await disableAlerts();
      else announce(STATE_WORDS[await enableAlerts()]);
    } catch (error) {
      button.disabled = false;
      problem.textContent = error instanceof Problem ? error.message
        : "Alerts could not be changed. You need signal for this; try again.";
      return;
    }
    dispatchEvent(new HashChangeEvent("hashchange"));
  });
  return h("div", {}, status, problem, button);
}

async function choices() {
  const chosen = await chosenAlerts();
  const boxes = ALERT_KINDS.map(([kind, words]) => {
    const box = h("input", { type: "checkbox", id: `alert-${kind}`, name: kind,
      checked: chosen[kind] !== false });
    box.addEventListener("change", () => {
      // Through the outbox, so a choice made offline is sent later.
      mutate("settings.alerts", { alerts: { [kind]: box.checked } });
    });
    return h("div", { class: "choice" }, box, h("label", { for: box.id }, words));
  });
  return h("fieldset", { id: "alert-kinds" },
    h("legend", {}, "Send me an alert when"),
    h("p", { class: "hint" }, "The same on each phone you use casehub on."),
    boxes);
}
