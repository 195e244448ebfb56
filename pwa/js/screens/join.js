// Joining: the member types the code the council gave them, or follows a
// link that carries it.
import { Problem, call } from "../api.js";
import { database, wipe } from "../db.js";
import { h, showErrors } from "../dom.js";
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
    location.hash = "#cases";
  });

  return [
    h("h1", { tabindex: "-1" }, "Join casehub"),
    notice ? h("p", { class: "banner warn", role: "alert" }, notice) : null,
    h("p", {}, "Join once, with signal. After that the app works without it."),
    form,
  ];
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
