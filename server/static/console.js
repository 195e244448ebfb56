// The staff pages work without this file; it makes them quicker to use.
// The queue redraws itself when anything changes, a chosen template fills
// the reply box at once, and forms show only the parts that apply.
"use strict";

(() => {
  const byId = (id) => document.getElementById(id);

  // Buttons that only matter without script: their work happens at once here.
  for (const button of document.querySelectorAll("[data-without-script]")) {
    button.hidden = true;
  }

  // After a refused form, take the keyboard to what went wrong.
  const summary = document.querySelector(".error-summary");
  if (summary) summary.focus();

  liveQueue(byId("queue-live"), byId("queue-updates"));
  for (const select of document.querySelectorAll("select[data-fills]")) {
    fillFromTemplate(select, byId(select.dataset.fills));
  }
  for (const select of document.querySelectorAll("select[data-questions]")) {
    showQuestions(select, byId(select.dataset.questions));
  }
  showChosenParts(document.querySelectorAll("input[type=radio][name=about]"));
  for (const body of document.querySelectorAll("textarea[data-preview]")) {
    previewTemplate(body, byId(body.dataset.preview));
  }

  // The queue: hear of every change from the server, then fetch the rows again.
  function liveQueue(region, status) {
    if (!region || !("EventSource" in window)) return;
    const events = new EventSource(region.dataset.events);
    let waiting = null;
    let fetching = false;
    let again = false;
    let stale = false;

    events.addEventListener("changed", () => {
      // A burst of changes redraws once; a queue in a tab out of sight
      // redraws when it is looked at again.
      clearTimeout(waiting);
      if (document.hidden) { stale = true; return; }
      waiting = setTimeout(redraw, 250);
    });
    document.addEventListener("visibilitychange", () => {
      if (!document.hidden && stale) { stale = false; redraw(); }
    });
    events.addEventListener("open", () => { status.textContent = ""; });
    events.addEventListener("error", () => {
      status.textContent = events.readyState === EventSource.CLOSED
        ? "Live updates stopped: reload the page to see changes."
        : "Live updates paused; trying again.";
    });

    async function redraw() {
      if (fetching) { again = true; return; }
      fetching = true;
      try {
        const response = await fetch(region.dataset.rows,
          { credentials: "same-origin", headers: { Accept: "text/html" } });
        if (response.redirected || !response.ok) {
          status.textContent = "The queue could not be updated: reload the page.";
          return;
        }
        swap(region, await response.text());
        const time = new Date().toLocaleTimeString("en-GB",
          { hour: "2-digit", minute: "2-digit" });
        status.textContent = `Queue updated at ${time}.`;
      } catch {
        status.textContent = "The queue could not be updated: reload the page.";
      } finally {
        fetching = false;
        if (again) { again = false; redraw(); }
      }
    }
  }

  // Replace the rows, keeping the keyboard where it was.
  function swap(region, html) {
    const focused = document.activeElement;
    const key = region.contains(focused) ? focused.dataset.key : null;
    region.innerHTML = html;
    if (!key) return;
    const same = region.querySelector(`[data-key="${CSS.escape(key)}"]`);
    if (same) { same.focus(); return; }
    // The control went (someone took that case): say so from the summary.
    const summary = region.querySelector(".summary");
    if (summary) { summary.tabIndex = -1; summary.focus(); }
  }

  // Choosing a template puts its text, filled in for this case, in the box.
  function fillFromTemplate(select, box) {
    if (!box) return;
    let placed = box.value;
    select.addEventListener("change", () => {
      const option = select.selectedOptions[0];
      const text = option?.dataset.text ?? "";
      const typed = box.value.trim() && box.value !== placed;
      if (typed && !window.confirm("Replace what you have written with this template?")) {
        return;
      }
      // The focus stays on the list, so the arrow keys can go on choosing.
      box.value = text;
      placed = text;
    });
  }

  // The new case's extra questions: only the chosen category's show and post.
  function showQuestions(select, container) {
    if (!container) return;
    const show = () => {
      for (const set of container.querySelectorAll("fieldset[data-category]")) {
        const chosen = set.dataset.category === select.value;
        set.hidden = !chosen;
        set.disabled = !chosen;
      }
    };
    select.addEventListener("change", show);
    show();
  }

  // A call's form shows the reference box or the new case, as chosen.
  function showChosenParts(radios) {
    if (!radios.length) return;
    const parts = [...radios].map((radio) => byId(radio.dataset.shows))
      .filter(Boolean);
    const show = () => {
      for (const part of parts) part.hidden = true;
      const checked = [...radios].find((radio) => radio.checked);
      const part = checked && byId(checked.dataset.shows);
      if (part) part.hidden = false;
    };
    for (const radio of radios) radio.addEventListener("change", show);
    show();
  }

  // The template being written, filled in for an example case as it is typed.
  function previewTemplate(body, preview) {
    if (!preview) return;
    const example = JSON.parse(preview.dataset.example);
    const unknown = byId("template-unknown");
    const update = () => {
      const names = [];
      preview.textContent = body.value.replace(/\{([a-z_]+)\}/g, (whole, name) => {
        if (name in example) return example[name];
        names.push(`{${name}}`);
        return whole;
      });
      if (unknown) {
        unknown.textContent = names.length
          ? `Not placeholders, so left as typed: ${[...new Set(names)].join(", ")}.`
          : "";
      }
    };
    body.addEventListener("input", update);
  }
})();
