// Joining: the member types the code the council gave them, or follows a
// link that carries it.
import { Problem, call } from "../api.js";
import { database, wipe } from "../db.js";
import { h, showErrors } from "../dom.js";
import { onIos, standalone } from "../install.js";
import { askToPersist } from "../storage.js";
import { syncNow } from "../scheduler.js";

export function joinScreen({ code = "", notice = "" }) {
  const codeInput = h("input", { type: "text", id: "join-code", name: "code",
    autocomplete: "one-time-code", autocapitalize: "characters", spellcheck: "false",
    required: true, value: code, "aria-describedby": "join-code-hint" });
  const nameInput = h("input", { type: "text", id: "join-device", name: "device",
    autocomplete: "off", maxlength: "120", value: "My phone" });
  const form = h("form", { novalidate: true },
    h("label", { for: "join-code" }, "Enrollment code"),
    h("p", { class: "hint", id: "join-code-hint" },
      "8 letters and numbers, like K7QM-4XRP, from the council's member services."),
    codeInput,
    h("label", { for: "join-device" }, "Name for this phone"),
    nameInput,
    h("button", { type: "submit" }, "Join"));

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const typed = codeInput.value.trim();
    if (!typed) {
      showErrors(form, [{ id: "join-code", label: "Enrollment code",
        message: "Enter the code you were given." }]);
      return;
    }
    try {
      await join(typed, nameInput.value.trim());
    } catch (error) {
      const message = error instanceof Problem ? error.message
        : "You need signal to join. Try again when you are online.";
      showErrors(form, [{ id: "join-code", label: "Enrollment code", message }]);
      return;
    }
    location.hash = "#setup";
  });

  const homeScreenFirst = onIos() && !standalone();
  return [
    h("h1", { tabindex: "-1" }, "Join casehub"),
    notice ? h("p", { class: "banner warn", role: "alert" }, notice) : null,
    homeScreenFirst ? addToHomeScreenFirst(code) : null,
    h("p", {}, "Join once, with signal. After that the app works without it."),
    homeScreenFirst ? h("h2", {}, "Or join here in Safari, without alerts") : null,
    form,
  ];
}

/**
 * On an iPhone, alerts need the app on the Home Screen, which starts with
 * storage of its own: joining in Safari first would be wasted, and the code
 * spent. So the code is shown to type once the app is on the Home Screen.
 */
function addToHomeScreenFirst(code) {
  return h("section", { id: "join-home-screen", "aria-labelledby": "join-ios" },
    h("h2", { id: "join-ios" }, "On an iPhone or iPad: add casehub to the Home " +
      "Screen first"),
    h("ol", {},
      h("li", {}, "Tap the Share button (a square with an arrow pointing up) in " +
        "Safari's toolbar."),
      h("li", {}, "Scroll down and tap Add to Home Screen, then Add."),
      h("li", {}, "Open casehub from its icon on the Home Screen and enter your " +
        "code there.")),
    code ? h("p", {}, "Your code: ", h("strong", { class: "code", id: "ios-code" },
      code)) : null);
}

async function join(code, deviceName) {
  const joined = await call("/api/devices/enroll",
    { json: { code, device_name: deviceName } });

  await wipe();
  const db = await database();
  const tx = db.transaction("meta", "readwrite");
  const meta = tx.objectStore("meta");
  await Promise.all([
    meta.put(joined.token, "token"),
    meta.put(joined.device_id, "device_id"),
    meta.put(joined.user, "user"),
    meta.put(1, "next_seq"),
    tx.done,
  ]);

  await askToPersist();
  await syncNow().catch(() => {});
}
