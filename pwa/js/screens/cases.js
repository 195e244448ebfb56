// My cases: newest change first, searchable, with a clear mark on anything
// not yet sent or not accepted.
import { referenceOf } from "../db.js";
import { STATUS_WORDS, h, when } from "../dom.js";
import { loadView } from "../view.js";

export async function casesScreen({ query = "", status = "" }) {
  const { cases } = await loadView();
  const categories = new Map((await referenceOf("category")).map((c) => [c.id, c]));
  const list = h("ul", { class: "cases", id: "case-list" });
  const count = h("p", { id: "case-count", role: "status" });

  const search = h("input", { type: "search", id: "case-search", value: query,
    autocomplete: "off" });
  const filter = h("select", { id: "case-status" },
    h("option", { value: "" }, "All"),
    h("option", { value: "open" }, "Open"),
    Object.entries(STATUS_WORDS).map(([value, words]) => h("option", { value }, words)),
    h("option", { value: "unsynced" }, "Not yet sent"));
  filter.value = status;

  // Drawing thousands of cases at once keeps a phone busy for seconds;
  // draw a page at a time and offer the rest.
  let shown = [];
  let drawn = 0;
  const more = h("button", { type: "button", id: "case-more", class: "secondary" },
    "Show more cases");
  const drawMore = () => {
    const next = shown.slice(drawn, drawn + PAGE);
    list.append(...next.map((found) => caseItem(found, categories)));
    drawn += next.length;
    more.hidden = drawn >= shown.length;
  };
  const render = () => {
    shown = matching(cases, categories, search.value, filter.value);
    drawn = 0;
    list.replaceChildren();
    drawMore();
    count.textContent = shown.length === 1 ? "1 case" : `${shown.length} cases`;
  };
  more.addEventListener("click", () => {
    const first = drawn;
    drawMore();
    list.children[first]?.querySelector("a")?.focus();
  });
  search.addEventListener("input", render);
  filter.addEventListener("change", render);
  render();

  return [
    h("h1", { tabindex: "-1" }, "My cases"),
    h("div", { class: "filters" },
      h("div", {}, h("label", { for: "case-search" }, "Search"), search),
      h("div", {}, h("label", { for: "case-status" }, "Status"), filter)),
    count,
    cases.length === 0
      ? h("p", {}, "No cases yet. ", h("a", { href: "#raise" }, "Raise a case"), ".")
      : [list, more],
  ];
}

const PAGE = 50;

const OPEN = new Set(["submitted", "acknowledged", "with_department", "in_progress",
  "reopened"]);

function matching(cases, categories, query, status) {
  const words = query.trim().toLowerCase();
  return cases
    .filter((found) => {
      if (status === "open") return OPEN.has(found.status);
      if (status === "unsynced") return found.unsynced || found.rejection;
      return !status || found.status === status;
    })
    .filter((found) => !words || searchable(found, categories).includes(words))
    .map((found) => [Date.parse(found.updated_at) || 0, found])
    .sort(([a], [b]) => b - a)
    .map(([, found]) => found);
}

function searchable(found, categories) {
  return [found.reference, found.description, categories.get(found.category_id)?.name,
    found.constituent?.name, found.constituent?.address, found.location?.address]
    .filter(Boolean).join(" ").toLowerCase();
}

function caseItem(found, categories) {
  const title = found.reference || "New case";
  return h("li", { "data-case": found.id },
    h("a", { href: `#case/${found.id}` }, title),
    " ",
    h("span", { class: "status" }, STATUS_WORDS[found.status] || found.status),
    h("div", {}, categories.get(found.category_id)?.name || "", " · ",
      found.description.slice(0, 80)),
    h("div", { class: "hint" }, "Changed ", when(found.updated_at)),
    marks(found));
}

export function marks(found) {
  return [
    found.unsynced ? h("span", { class: "mark unsynced" }, "Not yet sent") : null,
    found.rejection
      ? h("p", { class: "mark rejected" }, `Not accepted: ${found.rejection.detail}`)
      : null,
  ];
}
