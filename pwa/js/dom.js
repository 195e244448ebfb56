// Building screens without innerHTML, so nothing typed can become markup.
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === false || value === null || value === undefined) continue;
    if (name.startsWith("on")) element.addEventListener(name.slice(2), value);
    else if (name === "text") element.textContent = value;
    else element.setAttribute(name, value === true ? "" : value);
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child instanceof Node ? child : String(child));
  }
  return element;
}

export function announce(text) {
  const announcer = document.getElementById("announcer");
  announcer.textContent = "";
  setTimeout(() => { announcer.textContent = text; }, 50);
}

// One formatter for every date: making one per call costs a millisecond,
// which a list of two thousand cases cannot afford.
const DATE_TIME = new Intl.DateTimeFormat("en-GB", {
  dateStyle: "medium", timeStyle: "short",
});

export function when(iso) {
  if (!iso) return "";
  return DATE_TIME.format(new Date(iso));
}

export const STATUS_WORDS = {
  submitted: "Submitted",
  acknowledged: "Acknowledged",
  with_department: "With the department",
  in_progress: "In progress",
  resolved: "Resolved",
  closed: "Closed",
  withdrawn: "Withdrawn",
  reopened: "Reopened",
  not_accepted: "Not accepted",
};

/**
 * Show each error beside its field and in a summary at the top that names
 * the field, then move focus to the summary.
 */
export function showErrors(form, errors) {
  form.querySelectorAll(".error").forEach((node) => node.remove());
  form.querySelectorAll("[aria-invalid]").forEach((node) => {
    node.removeAttribute("aria-invalid");
    node.removeAttribute("aria-describedby");
  });
  if (errors.length === 0) return;

  const summary = h("div", { class: "error-summary error", tabindex: "-1", role: "alert" },
    h("p", { text: "Please fix these:" }),
    h("ul", {}, errors.map((error) => h("li", {},
      h("a", { href: `#${error.id}`, onclick: (event) => {
        event.preventDefault();
        document.getElementById(error.id)?.focus();
      } }, `${error.label}: ${error.message}`)))));
  for (const error of errors) {
    const field = document.getElementById(error.id);
    if (!field) continue;
    const note = h("p", { class: "error", id: `${error.id}-error` },
      `${error.label}: ${error.message}`);
    field.setAttribute("aria-invalid", "true");
    field.setAttribute("aria-describedby", note.id);
    field.insertAdjacentElement("beforebegin", note);
  }
  form.prepend(summary);
  summary.focus();
}
