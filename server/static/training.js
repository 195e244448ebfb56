// The member's page ticks each phone's checklist as the phone reports,
// without a reload; a phone that has just joined brings the page up to date.
const EVERY_MS = 3000;
const panel = document.getElementById("join-code");
const news = document.getElementById("checklist-news");
const source = panel?.dataset.checklist;

async function look() {
  if (document.visibilityState !== "visible") return;
  let answer;
  try {
    const response = await fetch(source, { headers: { Accept: "application/json" } });
    if (!response.ok) return;
    answer = await response.json();
  } catch {
    return;
  }

  const shown = [...document.querySelectorAll("[data-phone]")]
    .map((list) => list.dataset.phone);
  if (answer.phones.some((phone) => !shown.includes(phone.id))) {
    location.reload();
    return;
  }
  for (const phone of answer.phones) tick(phone);
}

function tick(phone) {
  const list = document.querySelector(`[data-phone="${phone.id}"]`);
  for (const [step, done] of Object.entries(phone.steps)) {
    const item = list?.querySelector(`[data-step="${step}"]`);
    if (!item || item.classList.contains("yes") === done) continue;
    item.className = done ? "yes" : "no";
    item.querySelector(".visually-hidden").textContent = done ? ": done" : ": not yet";
    if (done) news.textContent = `${item.firstChild.textContent.trim()}: done.`;
  }
}

if (source) setInterval(look, EVERY_MS);
