// Feedback on the hub and on the app, usually after the party's briefing.
// Saved on the phone first, like everything else, and sent when it can be.
import { database, referenceOf } from "../db.js";
import { announce, h, showErrors, when } from "../dom.js";
import { mutate, newId } from "../local.js";

const RATINGS = [
  [1, "1: poor"], [2, "2"], [3, "3: all right"], [4, "4"], [5, "5: very good"],
];

export async function feedbackScreen() {
  const briefings = (await referenceOf("briefing"))
    .sort((a, b) => (a.starts_at < b.starts_at ? -1 : 1));
  const given = await givenFeedback();

  return [
    h("h1", { tabindex: "-1" }, "Give feedback"),
    h("p", {}, "Tell the council's team how the Customer Hub and casehub are " +
      "working for you. Your trainer and the team read every comment."),
    briefingList(briefings),
    feedbackForm(briefings),
    given.length ? [h("h2", {}, "Feedback you gave"),
      h("ul", { class: "cases", id: "feedback-given" }, given.map(givenItem))] : null,
  ];
}

function briefingList(briefings) {
  if (briefings.length === 0) return null;
  return [h("h2", {}, "Your party's briefings"),
    h("ul", { id: "briefings" }, briefings.map((one) => h("li", {},
      `${when(one.starts_at)}, ${one.place || "online"}`,
      one.cancelled ? h("span", { class: "mark rejected" }, " Cancelled") : null)))];
}

function feedbackForm(briefings) {
  const form = h("form", { novalidate: true, id: "feedback-form" },
    briefings.length ? briefingChoice(briefings) : null,
    rating("hub", "How well does the Customer Hub deal with your cases?"),
    comment("hub", "Anything to add about the hub?"),
    rating("app", "How well does the casehub app work for you?"),
    comment("app", "Anything to add about the app?"),
    h("button", { type: "submit" }, "Send feedback"));

  form.addEventListener("input", () => { form.dataset.started = "yes"; });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const chosen = (name) => form.querySelector(`input[name=${name}]:checked`);
    const errors = ["hub", "app"].filter((about) => !chosen(`${about}-rating`))
      .map((about) => ({ id: `${about}-rating-1`,
        label: about === "hub" ? "The hub" : "The app",
        message: "Choose a rating from 1 to 5." }));
    showErrors(form, errors);
    if (errors.length) return;

    const text = (id) => form.querySelector(`#${id}`).value.trim() || null;
    const briefing = form.querySelector("#feedback-briefing")?.value;
    await mutate("feedback.give", {
      feedback_id: newId(),
      briefing_id: briefing ? Number(briefing) : null,
      hub_rating: Number(chosen("hub-rating").value),
      hub_comment: text("hub-comment"),
      app_rating: Number(chosen("app-rating").value),
      app_comment: text("app-comment"),
    });
    announce("Thank you. Your feedback is saved on this phone and sent when " +
      "there is signal.");
    dispatchEvent(new HashChangeEvent("hashchange"));
  });
  return form;
}

function briefingChoice(briefings) {
  const open = briefings.filter((one) => !one.cancelled);
  return [h("label", { for: "feedback-briefing" }, "Which briefing is this after?"),
    h("select", { id: "feedback-briefing" },
      h("option", { value: "" }, "None in particular"),
      open.map((one) => h("option", { value: String(one.id) },
        `${one.party}, ${when(one.starts_at)}`)))];
}

function rating(about, question) {
  return h("fieldset", { id: `${about}-rating` },
    h("legend", {}, question),
    RATINGS.map(([value, words]) => h("div", { class: "choice" },
      h("input", { type: "radio", name: `${about}-rating`, value: String(value),
        id: `${about}-rating-${value}` }),
      h("label", { for: `${about}-rating-${value}` }, words))));
}

function comment(about, words) {
  return [h("label", { for: `${about}-comment` }, `${words} (optional)`),
    h("textarea", { id: `${about}-comment`, rows: "3", maxlength: "2000" })];
}

/** The server's copy of what the member gave, then what waits to be sent. */
async function givenFeedback() {
  const db = await database();
  const sent = await referenceOf("feedback");
  const known = new Set(sent.map((one) => one.id));
  const waiting = (await db.getAll("outbox"))
    .filter((entry) => entry.name === "feedback.give" && entry.state !== "rejected"
      && !known.has(entry.args.feedback_id))
    .map((entry) => ({ ...entry.args, id: entry.args.feedback_id,
      created_at: entry.client_time, unsent: true }));
  return [...sent, ...waiting].sort((a, b) => (a.created_at < b.created_at ? 1 : -1));
}

function givenItem(one) {
  return h("li", {},
    h("div", {}, `The hub: ${one.hub_rating} of 5. The app: ${one.app_rating} of 5.`),
    one.hub_comment ? h("div", {}, `On the hub: ${one.hub_comment}`) : null,
    one.app_comment ? h("div", {}, `On the app: ${one.app_comment}`) : null,
    h("div", { class: "hint" }, when(one.created_at)),
    one.unsent ? h("span", { class: "mark unsynced" }, "Not yet sent") : null);
}
