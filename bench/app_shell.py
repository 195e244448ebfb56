"""The member app on a slow phone: its size, how fast the case list opens
offline, and what Lighthouse makes of it.

A council phone is often a few years old and often without signal, so the
shell must be small, and the case list must open from IndexedDB alone.
"""

from __future__ import annotations

import asyncio
import gzip
import json
import statistics
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from playwright.async_api import BrowserContext, async_playwright

from bench.pull_scaling import VAPID_CONTACT
from bench.push_throughput import seed
from bench.servers import ROOT, casehub_command, free_port, serving

PWA = ROOT / "pwa"
CHROMIUM = Path("/usr/bin/chromium")
LIGHTHOUSE = ROOT / "node_modules" / ".bin" / "lighthouse"
RESULTS = ROOT / "bench" / "results"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]

SHELL_SUFFIXES = (".html", ".js", ".css")
SIZE_TARGET = 60_000
CASES = 2_000
CPU_SLOWDOWN = 4
RUNS = 7
OPEN_TARGET_MS = 1_000
SCORE_TARGETS = {"performance": 90, "accessibility": 100}

# Notes the time of the first frame that shows the case list's count, which
# the screen writes together with the list itself. DevTools adds it, so the
# app's CSP does not apply.
STOPWATCH = """
addEventListener("DOMContentLoaded", () => {
  const main = document.getElementById("main");
  const watching = new MutationObserver(() => {
    const count = main.querySelector("#case-count");
    if (!count) return;
    watching.disconnect();
    requestAnimationFrame(() => {
      window.caseListShown = { ms: performance.now(), count: count.textContent };
    });
  });
  watching.observe(main, { childList: true, subtree: true });
});
"""

STORE_CASES = """
async ([count, categories]) => {
  const db = await new Promise((resolve, reject) => {
    const opening = indexedDB.open("casehub");
    opening.onsuccess = () => resolve(opening.result);
    opening.onerror = () => reject(opening.error);
  });
  const statuses = ["submitted", "acknowledged", "with_department", "in_progress",
                    "resolved", "closed"];
  const tx = db.transaction("cases", "readwrite");
  const start = Date.parse("2026-01-05T09:00:00Z");
  for (let i = 0; i < count; i++) {
    const when = new Date(start + i * 3_600_000).toISOString();
    tx.objectStore("cases").put({
      id: crypto.randomUUID(), reference: `CH-${String(100000 + i)}`,
      kind: i % 5 ? "service_request" : "member_enquiry",
      category_id: categories[i % categories.length],
      description: `Report ${i}: bags and a mattress left by the bins on ` +
        `the corner, blocking the footpath for prams and wheelchairs.`,
      answers: {}, constituent: { name: `Resident ${i}`, address: `${i} Main St` },
      location: { address: `${i} Main Street` }, photos: [],
      status: statuses[i % statuses.length], created_at: when, updated_at: when,
    });
  }
  await new Promise((resolve, reject) => {
    tx.oncomplete = resolve;
    tx.onerror = () => reject(tx.error);
  });
  db.close();
}
"""


@dataclass(frozen=True)
class ShellSize:
    kind: str
    files: int
    raw: int
    gzip: int
    brotli: int | None


def shell_sizes() -> list[ShellSize]:
    """Each file compressed on its own, as a server sends it; icons left out."""
    try:
        import brotli
    except ImportError:
        brotli = None

    kinds: dict[str, list[bytes]] = {}
    for path in sorted(PWA.rglob("*")):
        if path.is_file() and path.suffix in SHELL_SUFFIXES:
            kind = "vendored idb" if "vendor" in path.parts else path.suffix[1:]
            kinds.setdefault(kind, []).append(path.read_bytes())

    sizes = []
    for kind, contents in kinds.items():
        sizes.append(ShellSize(
            kind, len(contents), sum(map(len, contents)),
            sum(len(gzip.compress(body, 9)) for body in contents),
            None if brotli is None else
            sum(len(brotli.compress(body, quality=11)) for body in contents)))
    return sizes


def report_sizes(sizes: list[ShellSize]) -> Iterator[str]:
    yield "App shell size (HTML, JS, CSS and the vendored idb; icons left out)"
    for size in sizes:
        yield (f"  {size.kind:13} {size.files:2} files {size.raw:8,} B raw"
               f" {size.gzip:8,} B gzip {_brotli(size.brotli)}")
    gzipped = sum(size.gzip for size in sizes)
    squeezed = [size.brotli for size in sizes]
    brotlied = None if None in squeezed else sum(s or 0 for s in squeezed)
    yield (f"  {'total':13} {sum(s.files for s in sizes):2} files"
           f" {sum(s.raw for s in sizes):8,} B raw {gzipped:8,} B gzip"
           f" {_brotli(brotlied)}")
    verdict = "meets" if max(gzipped, brotlied or 0) <= SIZE_TARGET else "misses"
    yield f"  target {SIZE_TARGET:,} B compressed: {verdict} the target"


def _brotli(size: int | None) -> str:
    return "(brotli not installed)" if size is None else f"{size:8,} B brotli"


# Opening the case list offline.

async def joined(context: BrowserContext, url: str, code: str) -> None:
    """Join as the member tests do; the app caches itself for offline use."""
    page = await context.new_page()
    await page.goto(f"{url}/#join={code}")
    await page.get_by_role("button", name="Join").click()
    await page.get_by_role("heading", name="Set up this phone").wait_for()
    await page.wait_for_function("() => navigator.serviceWorker.controller !== null")
    await page.close()


async def store_cases(context: BrowserContext, url: str, categories: list[int],
                      count: int) -> None:
    page = await context.new_page()
    await page.goto(f"{url}/#settings")
    await page.evaluate(STORE_CASES, [count, categories])
    await page.close()


async def time_to_list(context: BrowserContext, url: str, expected: int) -> float:
    """Milliseconds from navigation to the first frame showing the list."""
    page = await context.new_page()
    devtools = await context.new_cdp_session(page)
    await devtools.send("Emulation.setCPUThrottlingRate", {"rate": CPU_SLOWDOWN})
    await page.goto(f"{url}/#cases")
    await page.wait_for_function("() => window.caseListShown", timeout=120_000)
    shown = await page.evaluate("() => window.caseListShown")
    await page.close()

    if shown["count"] != f"{expected} cases":
        raise RuntimeError(f"the list showed {shown['count']!r}, not {expected} cases")
    return float(shown["ms"])


async def open_times(url: str, codes: list[str],
                     categories: list[int]) -> dict[int, list[float]]:
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        contexts = {}
        for count, code in zip((CASES, 0), codes, strict=True):
            context = await browser.new_context(viewport={"width": 360, "height": 740})
            await joined(context, url, code)
            await store_cases(context, url, categories, count)
            await context.add_init_script(STOPWATCH)
            await context.set_offline(True)
            contexts[count] = context

        times: dict[int, list[float]] = {count: [] for count in contexts}
        for run in range(RUNS + 1):
            for count, context in contexts.items():
                took = await time_to_list(context, url, count)
                if run:
                    times[count].append(took)
        await browser.close()
    return times


def report_open(times: dict[int, list[float]]) -> Iterator[str]:
    full, empty = statistics.median(times[CASES]), statistics.median(times[0])
    yield (f"Opening My cases offline, CPU slowed {CPU_SLOWDOWN}x, median of {RUNS}"
           " (after one warm-up)")
    yield (f"  {CASES:,} cases: {full:6.0f} ms"
           f" (fastest {min(times[CASES]):.0f}, slowest {max(times[CASES]):.0f})")
    yield (f"  no cases:    {empty:6.0f} ms"
           f" (fastest {min(times[0]):.0f}, slowest {max(times[0]):.0f})")
    verdict = "meets" if full <= OPEN_TARGET_MS else "misses"
    yield (f"  the list costs {full - empty:.0f} ms over an empty one;"
           f" target {OPEN_TARGET_MS:,} ms: {verdict} the target")


# Lighthouse, run against a Chromium the benchmark prepared first.

@asynccontextmanager
async def debuggable_chromium(profile: Path) -> AsyncIterator[int]:
    """A Chromium that Playwright and Lighthouse can both drive."""
    port = free_port()
    process = await asyncio.create_subprocess_exec(
        str(CHROMIUM), "--headless=new", f"--remote-debugging-port={port}",
        f"--user-data-dir={profile}", *CHROMIUM_ARGS, "about:blank",
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL)
    try:
        await _wait_for_devtools(port)
        yield port
    finally:
        process.terminate()
        await asyncio.wait_for(process.wait(), 15)


async def _wait_for_devtools(port: int) -> None:
    deadline = time.monotonic() + 30
    async with httpx.AsyncClient() as client:
        while time.monotonic() < deadline:
            try:
                await client.get(f"http://127.0.0.1:{port}/json/version")
                return
            except httpx.TransportError:
                await asyncio.sleep(0.2)
    raise RuntimeError("Chromium opened no DevTools port within 30 s")


async def lighthouse(url: str, code: str, categories: list[int],
                     folder: Path) -> dict[str, Any]:
    async with debuggable_chromium(folder / "profile") as port, \
            async_playwright() as playwright:
        browser = await playwright.chromium.connect_over_cdp(f"http://127.0.0.1:{port}")
        context = browser.contexts[0]
        await joined(context, url, code)
        await store_cases(context, url, categories, CASES)

        # Lighthouse wipes the site's storage unless told not to; the case
        # list needs the device's token and cases kept.
        output = folder / "lighthouse.json"
        done = await asyncio.create_subprocess_exec(
            str(LIGHTHOUSE), f"{url}/#cases", f"--port={port}",
            "--disable-storage-reset", "--output=json", f"--output-path={output}",
            "--only-categories=performance,accessibility", "--quiet",
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE)
        _, errors = await done.communicate()
        if done.returncode != 0:
            raise RuntimeError(f"Lighthouse failed: {errors.decode()[-2000:]}")
        await browser.close()
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "lighthouse-cases.json").write_bytes(output.read_bytes())
    return dict(json.loads(output.read_text()))


def report_lighthouse(found: dict[str, Any]) -> Iterator[str]:
    yield (f"Lighthouse {found['lighthouseVersion']} on My cases with {CASES:,}"
           " cases (mobile, simulated slow 4G and 4x CPU)")
    for name, target in SCORE_TARGETS.items():
        score = round(found["categories"][name]["score"] * 100)
        verdict = "meets" if score >= target else "misses"
        yield f"  {name:13} {score:3} (target {target}): {verdict} the target"
    audits = found["audits"]
    metrics = ("first-contentful-paint", "largest-contentful-paint",
               "total-blocking-time", "cumulative-layout-shift", "speed-index")
    yield "  " + ", ".join(f"{audits[m]['title']} {audits[m]['displayValue']}"
                           for m in metrics)
    for ref in found["categories"]["accessibility"]["auditRefs"]:
        audit = audits[ref["id"]]
        if audit["score"] is not None and audit["score"] < 1:
            yield f"  accessibility: {audit['id']}: {audit['title']}"
    yield "  full report: bench/results/lighthouse-cases.json"


def run() -> None:
    for line in report_sizes(shell_sizes()):
        print(line, flush=True)
    if not CHROMIUM.exists() or not LIGHTHOUSE.exists():
        print("  (no Chromium or no node_modules: run `npm ci`; nothing more to time)")
        return

    with tempfile.TemporaryDirectory(prefix="casehub-app-") as name:
        folder = Path(name)
        data_dir = folder / "data"
        codes, categories = asyncio.run(seed(data_dir, 3))
        port = free_port()
        env = {"CASEHUB_DATA_DIR": str(data_dir), "CASEHUB_BIND": f"127.0.0.1:{port}",
               "CASEHUB_PUBLIC_URL": f"http://127.0.0.1:{port}",
               "CASEHUB_LOG_LEVEL": "WARNING", "CASEHUB_VAPID_CONTACT": VAPID_CONTACT}
        with serving(casehub_command(), port, folder / "casehub.log", env) as server:
            times = asyncio.run(open_times(server.url, codes[:2], categories))
            for line in report_open(times):
                print(line, flush=True)
            found = asyncio.run(lighthouse(server.url, codes[2], categories, folder))
            for line in report_lighthouse(found):
                print(line, flush=True)
