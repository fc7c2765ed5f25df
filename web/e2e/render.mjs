// Benchmark (bench/web_render.py starts the stack and this): how soon a playlist page
// shows its first rows in headless Chromium, and how smoothly its table scrolls.
//
// Environment: TAPEDECK_URL, TOKEN (a logged-in token), PLAYLIST (its id), ROUNDS,
// CHROMIUM. Prints one JSON object.

import { chromium } from "playwright-core";

const BASE = process.env.TAPEDECK_URL;
const ROUNDS = Number(process.env.ROUNDS ?? 5);
const ROW = ".track-scroll [role=row]";

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  headless: true,
  args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
});

/** Milliseconds from the navigation's start to the frame that first shows a row. */
async function firstRows(page) {
  await page.goto(`${BASE}/playlists/${process.env.PLAYLIST}`, { waitUntil: "commit" });
  return page.waitForFunction(
    (selector) => (document.querySelector(selector) ? performance.now() : false),
    ROW,
    { polling: "raf", timeout: 30_000 },
  ).then((handle) => handle.jsonValue());
}

const result = { cold_ms: [], warm_ms: [], scroll: null };
try {
  for (let round = 0; round < ROUNDS; round += 1) {
    // Cold: a new browser context, so nothing cached (scripts, styles, API answers).
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    await context.addInitScript((token) => localStorage.setItem("tapedeck.token", token), process.env.TOKEN);
    const page = await context.newPage();
    result.cold_ms.push(Math.round(await firstRows(page)));
    // Warm: the same context again, its hashed assets cached.
    result.warm_ms.push(Math.round(await firstRows(page)));
    if (round === ROUNDS - 1) {
      // Scroll the whole table in 40 steps, one per frame, and time the frames.
      result.scroll = await page.evaluate(async (selector) => {
        const scroller = document.querySelector(".track-scroll");
        const gaps = [];
        let last = performance.now();
        const step = scroller.scrollHeight / 40;
        for (let i = 1; i <= 40; i += 1) {
          scroller.scrollTop = step * i;
          await new Promise((done) => requestAnimationFrame(done));
          const now = performance.now();
          gaps.push(now - last);
          last = now;
        }
        gaps.sort((a, b) => a - b);
        return {
          rows_in_page: document.querySelectorAll(selector).length,
          frame_ms_median: Math.round(gaps[20]),
          frame_ms_max: Math.round(gaps[gaps.length - 1]),
        };
      }, ROW);
      result.rows_total = await page.locator("[role=table]").getAttribute("aria-rowcount");
    }
    await context.close();
  }
} finally {
  await browser.close();
}
console.log(JSON.stringify(result));
