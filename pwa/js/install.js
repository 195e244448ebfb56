// Installing the app on the phone: which phone this is, whether the app runs
// from the home screen, and Chrome's install prompt, kept for the member's tap.
import { getMeta, setMeta } from "./db.js";

let offered = null;

/** "iphone", "ipad", "android", "desktop" or "other". */
export function platform() {
  const agent = navigator.userAgent;
  if (/iPhone|iPod/.test(agent)) return "iphone";
  // iPadOS asks for desktop pages and says it is a Mac; only the touch gives it away.
  if (/iPad/.test(agent) || (/Macintosh/.test(agent) && navigator.maxTouchPoints > 1)) {
    return "ipad";
  }
  if (/Android/.test(agent)) return "android";
  if (/Windows|Macintosh|Linux|CrOS/.test(agent)) return "desktop";
  return "other";
}

export function onIos() {
  return ["iphone", "ipad"].includes(platform());
}

export function standalone() {
  return matchMedia("(display-mode: standalone)").matches
    || navigator.standalone === true;
}

/**
 * Start listening at once: Chrome fires beforeinstallprompt early, and only
 * a prompt kept from then can be shown when the member taps Install.
 */
export function watchForInstall(changed) {
  addEventListener("beforeinstallprompt", (event) => {
    event.preventDefault();
    offered = event;
    changed();
  });
  addEventListener("appinstalled", () => {
    offered = null;
    noteInstalled().then(changed, changed);
  });
}

export function canOfferInstall() {
  return offered !== null;
}

/** Show the browser's install prompt; resolves to true if the member accepted. */
export async function offerInstall() {
  if (!offered) return false;
  const prompt = offered;
  offered = null;
  await prompt.prompt();
  const { outcome } = await prompt.userChoice;
  return outcome === "accepted";
}

/** Note that the app was installed, for the next report to say. */
async function noteInstalled() {
  const kept = (await getMeta("device")) || {};
  await setMeta("device", { ...kept, platform: platform(), installed: true });
}
