// Raising a case, with or without signal. Everything is saved on the phone
// first; the syncer sends it when it can.
import { referenceOf } from "../db.js";
import { announce, h, showErrors } from "../dom.js";
import { mutate, newId } from "../local.js";
import { MAX_PHOTOS, preparePhoto } from "../photos.js";

export async function raiseScreen() {
  const categories = (await referenceOf("category")).filter((c) => c.active !== false)
    .sort((a, b) => a.name.localeCompare(b.name));
  const state = { photos: [], location: null };

  const categorySelect = h("select", { id: "raise-category", required: true },
    h("option", { value: "" }, "Choose a category"),
    categories.map((c) => h("option", { value: String(c.id) }, c.name)));
  const questions = h("div", { id: "raise-questions" });
  categorySelect.addEventListener("change", () => {
    const chosen = categories.find((c) => String(c.id) === categorySelect.value);
    questions.replaceChildren(...(chosen?.questions || []).map(questionField));
  });

  const form = h("form", { novalidate: true, id: "raise-form" },
    kindField(),
    h("label", { for: "raise-category" }, "Category"), categorySelect,
    questions,
    h("label", { for: "raise-description" }, "What is the problem?"),
    h("textarea", { id: "raise-description", rows: "4", maxlength: "5000",
      required: true }),
    locationFields(state),
    constituentFields(),
    photoFields(state),
    h("button", { type: "submit" }, "Save case"));

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const chosen = categories.find((c) => String(c.id) === categorySelect.value);
    const errors = check(form, chosen);
    showErrors(form, errors);
    if (errors.length) return;

    const args = caseArgs(form, chosen, state);
    await mutate("case.create", args, state.photos);
    announce("Case saved on this phone. It is sent when there is signal.");
    location.hash = `#case/${args.case_id}`;
  });

  return [
    h("h1", { tabindex: "-1" }, "Raise a case"),
    categories.length === 0
      ? h("p", { class: "banner warn" },
        "The list of categories has not arrived yet. Sync once with signal.")
      : null,
    form,
  ];
}

function kindField() {
  const option = (value, words, checked) => h("label", {},
    h("input", { type: "radio", name: "kind", value, checked }), " ", words);
  return h("fieldset", {},
    h("legend", {}, "What should the council do?"),
    option("service_request", "Just log it: the council fixes the problem", true),
    option("member_enquiry", "Member enquiry: I need a written answer", false));
}

function questionField(question) {
  const id = `raise-q-${question.id}`;
  const label = h("label", { for: id },
    question.label, question.required ? "" : " (optional)");
  if (question.type === "choice") {
    return h("div", {}, label,
      h("select", { id, "data-question": question.id, required: question.required },
        h("option", { value: "" }, "Choose one"),
        question.options.map((value) => h("option", { value }, value))));
  }
  return h("div", {}, label,
    h("input", { type: "text", id, "data-question": question.id,
      required: question.required, maxlength: "500" }));
}

function locationFields(state) {
  const status = h("p", { class: "hint", id: "raise-gps-status", role: "status" });
  const button = h("button", { type: "button", class: "secondary", id: "raise-gps" },
    "Use my location");
  button.addEventListener("click", () => {
    if (!navigator.geolocation) {
      status.textContent = "This phone cannot give a location; type the address.";
      return;
    }
    status.textContent = "Finding you…";
    navigator.geolocation.getCurrentPosition(
      (position) => {
        const { latitude, longitude, accuracy } = position.coords;
        state.location = { latitude, longitude, accuracy };
        status.textContent = `Location found, to within ${Math.round(accuracy)} m.`;
      },
      () => { status.textContent = "No location: type the address instead."; },
      { enableHighAccuracy: true, timeout: 20000, maximumAge: 60000 });
  });
  return h("fieldset", {},
    h("legend", {}, "Where"),
    button, status,
    h("label", { for: "raise-address" }, "Or type the address or a landmark"),
    h("input", { type: "text", id: "raise-address", maxlength: "300",
      autocomplete: "street-address" }));
}

function constituentFields() {
  const field = (id, words, type, autocomplete) => [
    h("label", { for: id }, words),
    h("input", { type, id, autocomplete, maxlength: "254" }),
  ];
  return h("fieldset", {},
    h("legend", {}, "Constituent (optional)"),
    field("raise-c-name", "Name", "text", "off"),
    field("raise-c-address", "Address", "text", "off"),
    field("raise-c-phone", "Phone", "tel", "off"),
    field("raise-c-email", "Email", "email", "off"));
}

function photoFields(state) {
  const list = h("ul", { class: "photos", id: "raise-photo-list" });
  const status = h("p", { class: "hint", id: "raise-photo-status", role: "status" });
  const input = h("input", { type: "file", id: "raise-photos", accept: "image/*",
    capture: "environment", multiple: true });

  const render = () => {
    list.replaceChildren(...state.photos.map((photo, index) => h("li", {},
      h("img", { src: URL.createObjectURL(photo.blob), alt: `Photo ${index + 1}` }),
      h("button", { type: "button", class: "secondary",
        onclick: () => { state.photos.splice(index, 1); render(); } },
      `Remove photo ${index + 1}`))));
    status.textContent = `${state.photos.length} of ${MAX_PHOTOS} photos.`;
  };
  input.addEventListener("change", async () => {
    const files = [...input.files];
    input.value = "";
    for (const file of files) {
      if (state.photos.length >= MAX_PHOTOS) {
        status.textContent = `A case can have at most ${MAX_PHOTOS} photos.`;
        return;
      }
      status.textContent = "Preparing photo…";
      const photo = await preparePhoto(file);
      if (!state.photos.some((known) => known.sha256 === photo.sha256)) {
        state.photos.push(photo);
      }
    }
    render();
  });

  return h("fieldset", {},
    h("legend", {}, "Photos (optional, up to 5)"),
    h("label", { for: "raise-photos" }, "Take or choose photos"),
    input, status, list);
}

function check(form, category) {
  const errors = [];
  if (!category) {
    errors.push({ id: "raise-category", label: "Category", message: "Choose a category." });
  }
  for (const question of category?.questions || []) {
    const field = form.querySelector(`[data-question="${question.id}"]`);
    if (question.required && !field?.value.trim()) {
      errors.push({ id: field.id, label: question.label, message: "Answer this question." });
    }
  }
  if (!form.querySelector("#raise-description").value.trim()) {
    errors.push({ id: "raise-description", label: "What is the problem?",
      message: "Describe the problem." });
  }
  return errors;
}

function caseArgs(form, category, state) {
  const value = (id) => form.querySelector(`#${id}`).value.trim() || null;
  const answers = {};
  for (const field of form.querySelectorAll("[data-question]")) {
    if (field.value.trim()) answers[field.dataset.question] = field.value.trim();
  }
  return {
    case_id: newId(),
    kind: form.querySelector("input[name=kind]:checked").value,
    category_id: category.id,
    description: value("raise-description"),
    answers,
    constituent: { name: value("raise-c-name"), address: value("raise-c-address"),
      phone: value("raise-c-phone"), email: value("raise-c-email") },
    location: { ...(state.location || {}), address: value("raise-address") },
    photos: state.photos.map((photo) => photo.sha256),
  };
}
