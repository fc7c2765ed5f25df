// End-to-end: Debian's Chromium, headless, driven by playwright-core, against a running
// Tapedeck (`make run`'s processes, demo mode with the bundled emulator). Started by
// tests/web/test_browser.py, which starts the stack and reads the report this writes.
//
// Environment: TAPEDECK_URL (the gateway), EMULATOR_URL (the demo emulator, for its admin
// API), CHROMIUM (default /usr/bin/chromium), SCREENSHOTS (folder for PNGs), REPORT (the
// JSON report's path).
//
// Every step throws on what a person would notice going wrong; the report also lists each
// screen's serious or critical accessibility violations (axe-core) and the console errors.

import { readFile, writeFile, mkdir } from "node:fs/promises";
import { createRequire } from "node:module";
import { chromium } from "playwright-core";

const require = createRequire(import.meta.url);
const AXE = await readFile(require.resolve("axe-core/axe.min.js"), "utf8");

const BASE = process.env.TAPEDECK_URL;
const EMULATOR = process.env.EMULATOR_URL;
const SHOTS = process.env.SCREENSHOTS;
const REPORT = process.env.REPORT;
const USER = "tapedeck-demo";
const TIMEOUT = 30_000;

const report = { steps: [], accessibility: {}, console: [], screenshots: [], overflow: {} };

function check(condition, message) {
  if (!condition) throw new Error(message);
}

async function step(name, body) {
  const started = Date.now();
  await body();
  report.steps.push({ name, ms: Date.now() - started });
  console.log(`ok ${name} (${Date.now() - started} ms)`);
}

/** axe-core on the page as it is: violations that are serious or critical. */
async function audit(page, screen) {
  // Evaluated through the DevTools protocol: the app's policy rightly refuses inline scripts.
  if (!(await page.evaluate(() => "axe" in window))) await page.evaluate(AXE);
  const result = await page.evaluate(async () => {
    // eslint-disable-next-line no-undef
    const found = await axe.run(document, { resultTypes: ["violations"] });
    return found.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.slice(0, 3).map((n) => n.target.join(" ")),
    }));
  });
  report.accessibility[screen] = result.filter((v) => ["serious", "critical"].includes(v.impact));
  report.accessibility[`${screen} (all)`] = result.map((v) => `${v.impact}: ${v.id}`);
}

async function shot(page, name) {
  if (!SHOTS) return;
  const path = `${SHOTS}/${name}.png`;
  await page.screenshot({ path });
  report.screenshots.push(path);
}

/** No horizontal scroll bar: nothing wider than the window. */
async function overflow(page, screen) {
  const widths = await page.evaluate(() => ({
    page: document.documentElement.scrollWidth,
    window: window.innerWidth,
  }));
  report.overflow[screen] = widths;
  check(widths.page <= widths.window, `${screen}: the page is ${widths.page}px wide in a ${widths.window}px window`);
}

async function admin(path, body) {
  const answer = await fetch(`${EMULATOR}/_emulator${path}`, {
    method: body === undefined ? "GET" : "POST",
    headers: { "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  check(answer.ok, `emulator ${path}: ${answer.status}`);
  return answer.json();
}

async function saveFromPage(page, button) {
  const shown = page.locator(".save-progress");
  const before = (await shown.count()) ? await shown.first().getAttribute("data-save") : null;
  await page.getByRole("button", { name: button }).click();
  // The progress comes from the save's event stream: a bar per kind, then the end.
  const mine = before ? `.save-progress:not([data-save="${before}"])` : ".save-progress";
  await page.locator(`${mine} [role=progressbar]`).first().waitFor({ timeout: TIMEOUT });
  await page.locator(`${mine} .status[data-status='succeeded']`).waitFor({ timeout: 60_000 });
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  headless: true,
  args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--autoplay-policy=no-user-gesture-required"],
});
let failure = null;
try {
  if (SHOTS) await mkdir(SHOTS, { recursive: true });
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, acceptDownloads: true });
  const page = await context.newPage();
  page.setDefaultTimeout(TIMEOUT);
  let expect401 = false;
  page.on("console", (message) => {
    if (message.type() !== "error") return;
    // The one expected: the revoked token's 401 after logging out elsewhere.
    if (expect401 && message.text().includes("401")) return;
    report.console.push(message.text());
  });
  page.on("pageerror", (error) => report.console.push(String(error)));

  await step("home page offers the Spotify login", async () => {
    await page.goto(`${BASE}/`);
    await page.getByRole("link", { name: "Log in with Spotify" }).waitFor();
    await audit(page, "home");
    await shot(page, "home-desktop");
  });

  await step("log in: the token leaves the address bar", async () => {
    await page.getByRole("link", { name: "Log in with Spotify" }).click();
    await page.waitForURL(`${BASE}/playlists`);
    await page.getByRole("heading", { name: /Playlists/ }).waitFor();
    check(!page.url().includes("token"), `the token is still in the address bar: ${page.url()}`);
    const history = await page.evaluate(() => window.location.hash);
    check(history === "", "the fragment is still there");
    await page.getByText(/no save|save/i).first().waitFor();
  });

  await step("save everything, watching each kind's progress to the end", async () => {
    await page.getByRole("link", { name: "Saves" }).click();
    await page.waitForURL(`${BASE}/saves`);
    await saveFromPage(page, "Save everything");
    const bars = await page.getByRole("progressbar").count();
    check(bars === 4, `a progress bar per kind, saw ${bars}`);
    for (const bar of await page.getByRole("progressbar").all()) {
      check((await bar.getAttribute("aria-valuenow")) === "100", "a kind did not reach its end");
    }
    await page.locator("table.saves tbody tr").first().waitFor();
    const row = await page.locator("table.saves tbody tr").first().innerText();
    check(/succeeded/.test(row) && /25 playlists/.test(row) && /300 liked/.test(row), `history row: ${row}`);
    // Retention: the rule is read, changed and kept.
    const last = page.getByLabel("Most recent saves");
    await last.fill("20");
    await page.getByRole("button", { name: "Save rule" }).click();
    await page.getByRole("status").filter({ hasText: "next pruning" }).waitFor();
    // Automatic saves: on, with when the next one runs.
    await page.getByLabel("Save automatically").selectOption("daily");
    await page.getByRole("status").filter({ hasText: "Next automatic save" }).waitFor();
    await audit(page, "saves");
    await shot(page, "saves-desktop");
  });

  let largest = null;
  let exported = null;
  let smallest = null;
  await step("the playlists grid shows every playlist with its cover, owner and count", async () => {
    await page.getByRole("link", { name: "Playlists" }).click();
    await page.waitForURL(`${BASE}/playlists`);
    const cards = page.locator("ul.grid > li");
    await cards.first().waitFor();
    await page.waitForFunction(() => document.querySelectorAll("ul.grid > li").length === 25);
    const counts = await page.locator(".card-body .muted").allInnerTexts();
    const numbers = counts.map((text) => Number(/(\d+) tracks?/.exec(text)?.[1] ?? -1));
    const most = Math.max(...numbers);
    const index = numbers.indexOf(most);
    largest = {
      name: await page.locator(".card-title").nth(index).innerText(),
      href: await page.locator("ul.grid > li a").nth(index).getAttribute("href"),
      total: most,
    };
    const fewest = Math.min(...numbers.filter((n) => n > 0));
    smallest = {
      name: await page.locator(".card-title").nth(numbers.indexOf(fewest)).innerText(),
      href: await page.locator("ul.grid > li a").nth(numbers.indexOf(fewest)).getAttribute("href"),
      total: fewest,
    };
    const loaded = await page.locator("img.cover").evaluateAll((imgs) => imgs.filter((i) => i.complete && i.naturalWidth > 0).length);
    check(loaded > 0, "no cover image loaded");
    await audit(page, "playlists");
    await shot(page, "playlists-desktop");
  });

  await step("a playlist's tracks: a virtualised table that loads as it scrolls", async () => {
    await page.goto(`${BASE}${largest.href}`);
    await page.locator(".track-scroll [role=row]").first().waitFor();
    await page.getByRole("heading", { name: largest.name }).waitFor();
    const inPage = await page.locator(".track-scroll [role=row]").count();
    check(inPage > 0 && inPage < largest.total + 1, `rows in the page: ${inPage}`);
    await audit(page, "playlist");
    await shot(page, "playlist-desktop");
    // Scroll to the end: more pages load until the last item is there.
    for (let i = 0; i < 50; i += 1) {
      await page.locator(".track-scroll").evaluate((el) => el.scrollTo(0, el.scrollHeight));
      const last = await page.locator(".track-scroll [role=row]").last().getAttribute("aria-rowindex");
      if (Number(last) === largest.total + 1) break;
      await page.waitForTimeout(100);
    }
    const last = await page.locator(".track-scroll [role=row]").last().getAttribute("aria-rowindex");
    check(Number(last) === largest.total + 1, `scrolled to row ${last} of ${largest.total}`);
  });

  await step("export the playlist as CSV", async () => {
    await page.getByText("Export", { exact: true }).click();
    const [download] = await Promise.all([
      page.waitForEvent("download"),
      page.getByRole("button", { name: "This playlist (CSV)" }).click(),
    ]);
    exported = { name: download.suggestedFilename(), body: await readFile(await download.path()) };
    const body = exported.body.toString("utf8");
    check(body.startsWith('"Track URI","Track Name"'), "not Exportify's header");
    const rows = body.trimEnd().split("\n").length - 1;
    check(download.suggestedFilename().endsWith(".csv"), download.suggestedFilename());
    report.csv = { name: download.suggestedFilename(), rows };
    check(rows > 0, "an empty CSV");
  });

  await step("the emulator changes a playlist; Update saves it; Changes and its history show it", async () => {
    // The smallest playlist: its whole cumulative view fits in one page.
    const id = smallest.href.split("/").pop();
    await admin(`/users/${USER}/playlists/${id}/change`, { add: 2, remove: 1 });
    await saveFromPage(page, "Update");
    await page.getByRole("link", { name: "Saves" }).click();
    await page.getByRole("link", { name: "Changes", exact: true }).first().click();
    await page.waitForURL(/\/changes/);
    const changed = page.locator("article.changed").filter({ hasText: smallest.name });
    await changed.waitFor();
    check((await changed.locator("li.added").count()) === 2, "two tracks added");
    check((await changed.locator("li.removed").count()) === 1, "one track removed");
    await audit(page, "changes");
    await shot(page, "changes-desktop");
    // The playlist's own timeline has the same change, dated.
    await page.goto(`${BASE}/playlists/${id}/history`);
    await page.locator("li.event").first().waitFor();
    check((await page.locator("li.event[data-type=added]").count()) >= 2, "the timeline lacks the added tracks");
    check((await page.locator("li.event[data-type=removed]").count()) >= 1, "the timeline lacks the removed track");
    await page.getByRole("button", { name: "Every item it held" }).click();
    await page.getByRole("list", { name: "Every item it held" }).locator("li").first().waitFor();
    const gone = page.getByRole("list", { name: "Every item it held" }).locator("li").filter({ hasText: "gone ·" });
    await gone.first().waitFor({ timeout: 10_000 });
    await audit(page, "history");
    await shot(page, "history-desktop");
    // Where has an added track been: in this playlist since this save.
    await page.getByRole("button", { name: "Timeline" }).click();
    await page.locator("li.event[data-type=added] a").first().click();
    await page.waitForURL(/\/tracks\/[^/]+\/history$/);
    const been = page.getByRole("list", { name: "Where it has been" }).locator("li");
    await been.filter({ hasText: smallest.name }).first().waitFor();
    check((await been.filter({ hasText: "Added to" }).count()) >= 1, "the track's history lacks its addition");
    await audit(page, "track history");
  });

  await step("restore: the dry run's plan for a changed playlist", async () => {
    await page.getByRole("link", { name: "Saves", exact: true }).click();
    await page.getByRole("link", { name: "Restore", exact: true }).click();
    await page.waitForURL(`${BASE}/restore`);
    // The first save, from before the emulator changed the playlist.
    const options = page.locator("form.restore select optgroup[label=Saves] option");
    await options.nth(1).waitFor({ state: "attached" });
    const first = await options.last().getAttribute("value");
    await page.locator("form.restore select").selectOption(first);
    await page.getByLabel("Every playlist").uncheck();
    await page.getByRole("group", { name: "Playlists to restore" }).getByLabel(smallest.name, { exact: true }).check();
    await page.getByLabel("Make my playlists equal to the save").check();
    await page.getByRole("button", { name: "Preview" }).click();
    const row = page.getByRole("region", { name: "Plan" }).locator("li.plan-row").filter({ hasText: smallest.name });
    await row.waitFor();
    const text = await row.innerText();
    check(/\+1 −2/.test(text), `the plan should add back the removed track and remove the two added: ${text}`);
    await audit(page, "restore");
    await shot(page, "restore-desktop");
    // The CSV exported above, imported back: its playlist becomes a source to restore anew.
    await page.getByLabel(/Or import a file/).setInputFiles({ name: exported.name, mimeType: "text/csv", buffer: exported.body });
    const note = page.getByRole("status").filter({ hasText: "Imported 1 playlist" });
    await note.waitFor();
    // Every row of the CSV is an item, or counted as without a Spotify URI (a local file).
    const counted = /\((\d+) items(?:, (\d+) without)?/.exec(await note.innerText());
    const items = Number(counted?.[1]);
    check(items + Number(counted?.[2] ?? 0) === report.csv.rows, `import: ${await note.innerText()}`);
    await page.getByLabel("Every playlist").check();
    await page.getByLabel("As new private playlists").check();
    await page.getByRole("button", { name: "Preview" }).click();
    const anew = page.getByRole("region", { name: "Plan" }).locator("li.plan-row").filter({ hasText: `made anew · +${items} ` });
    await anew.waitFor();
  });

  await step("queue a playlist's downloads; play, save and remove one", async () => {
    await page.goto(`${BASE}${smallest.href}`);
    await page.getByRole("button", { name: "Download tracks" }).click();
    await page.getByRole("status").filter({ hasText: "queued" }).waitFor();
    await page.getByRole("link", { name: "Downloads", exact: true }).first().click();
    await page.waitForURL(`${BASE}/downloads`);
    const done = page.locator("li.job[data-status=succeeded]");
    await done.first().waitFor({ timeout: 90_000 });
    await audit(page, "downloads");
    await shot(page, "downloads-desktop");
    const jobs = await page.locator("li.job").count();
    // The change above added two tracks and removed one.
    check(jobs >= smallest.total + 1, `${jobs} jobs for ${smallest.total + 1} tracks`);
    await done.first().getByRole("button", { name: /^Play / }).click();
    const audio = page.locator("audio");
    await audio.waitFor();
    const duration = await audio.evaluate(
      (a) =>
        new Promise((resolve) => {
          if (a.readyState >= 1) resolve(a.duration);
          a.addEventListener("loadedmetadata", () => resolve(a.duration));
          a.addEventListener("error", () => resolve(-1));
        }),
    );
    check(duration > 0, `the player could not read the file (duration ${duration})`);
    report.played_s = duration;
    const [file] = await Promise.all([
      page.waitForEvent("download"),
      done.first().getByRole("button", { name: /^Save / }).click(),
    ]);
    const bytes = (await readFile(await file.path())).length;
    check(bytes > 1000, `a ${bytes}-byte file`);
    report.downloaded = { name: file.suggestedFilename(), bytes };
    const before = await page.locator("li.job").count();
    await done.first().getByRole("button", { name: /^Remove / }).click();
    await page.waitForFunction((n) => document.querySelectorAll("li.job").length === n - 1, before);
  });

  for (const [link, screen] of [["Liked Songs", "liked"], ["Albums", "albums"], ["Artists", "artists"]]) {
    await step(`${screen} page`, async () => {
      await page.getByRole("link", { name: link, exact: true }).click();
      await page.getByRole("heading", { name: new RegExp(link) }).waitFor();
      if (screen === "liked") await page.locator(".track-scroll [role=row]").first().waitFor();
      else await page.locator("ul.grid > li").first().waitFor();
      await audit(page, screen);
      await shot(page, `${screen}-desktop`);
    });
  }

  await step("filter within the loaded library", async () => {
    await page.getByRole("link", { name: "Playlists" }).click();
    await page.locator("ul.grid > li").first().waitFor();
    await page.getByLabel("Filter playlists").fill(largest.name);
    const shown = await page.locator(".card-title").allInnerTexts();
    check(shown.length >= 1 && shown.every((n) => n.toLowerCase().includes(largest.name.toLowerCase())), `filtered: ${shown}`);
    await page.getByLabel("Filter playlists").fill("");
  });

  await step("360 px wide: nothing overflows", async () => {
    await page.setViewportSize({ width: 360, height: 740 });
    for (const [path, screen] of [["/playlists", "playlists"], [largest.href, "playlist"], ["/saves", "saves"], ["/changes", "changes"]]) {
      await page.goto(`${BASE}${path}`);
      await page.locator("main section").first().waitFor();
      await page.waitForLoadState("networkidle");
      await overflow(page, `${screen} at 360 px`);
      await audit(page, `${screen} at 360 px`);
      await shot(page, `${screen}-mobile`);
    }
    await page.setViewportSize({ width: 1280, height: 800 });
  });

  await step("keyboard: every nav link is reachable with Tab", async () => {
    await page.goto(`${BASE}/playlists`);
    await page.locator("ul.grid > li").first().waitFor();
    const reached = new Set();
    for (let i = 0; i < 14; i += 1) {
      await page.keyboard.press("Tab");
      reached.add(await page.evaluate(() => document.activeElement?.textContent?.trim() ?? ""));
    }
    for (const name of ["Playlists", "Liked Songs", "Albums", "Artists", "Saves", "Downloads", "Log out"]) {
      check(reached.has(name), `${name} not reached by Tab: ${[...reached]}`);
    }
  });

  await step("delete the oldest save", async () => {
    await page.goto(`${BASE}/saves`);
    const rows = page.locator("table.saves tbody tr");
    await rows.first().waitFor();
    const before = await rows.count();
    page.once("dialog", (dialog) => void dialog.accept());
    await rows.last().getByRole("button", { name: /^Delete the save/ }).click();
    await page.waitForFunction((n) => document.querySelectorAll("table.saves tbody tr").length === n - 1, before);
    await page.reload();
    await rows.first().waitFor();
    check((await rows.count()) === before - 1, "the deleted save came back");
  });

  await step("a revoked token sends the app back home", async () => {
    const token = await page.evaluate(() => localStorage.getItem("tapedeck.token"));
    const other = await context.newPage();
    // Logging out in another tab revokes the token this one holds.
    await other.goto(`${BASE}/playlists`);
    await other.getByRole("button", { name: "Log out" }).click();
    await other.getByRole("link", { name: "Log in with Spotify" }).waitFor();
    await other.close();
    const revoked = await fetch(`${BASE}/api/v1/me`, { headers: { Authorization: `Bearer ${token}` } });
    check(revoked.status === 401, `the token still works: ${revoked.status}`);
    expect401 = true;
    await page.evaluate((t) => localStorage.setItem("tapedeck.token", t), token);
    await page.goto(`${BASE}/saves`);
    await page.getByRole("link", { name: "Log in with Spotify" }).waitFor();
    check(new URL(page.url()).pathname === "/", `not home: ${page.url()}`);
    expect401 = false;
  });

  await step("log in again and log out", async () => {
    await page.getByRole("link", { name: "Log in with Spotify" }).click();
    await page.waitForURL(`${BASE}/playlists`);
    await page.getByRole("button", { name: "Log out" }).click();
    await page.getByRole("link", { name: "Log in with Spotify" }).waitFor();
    const stored = await page.evaluate(() => localStorage.getItem("tapedeck.token"));
    check(stored === null, "the token is still stored");
  });
} catch (error) {
  failure = error;
  report.failure = String(error.stack ?? error);
  console.error(error);
} finally {
  await browser.close();
  if (REPORT) await writeFile(REPORT, JSON.stringify(report, null, 2));
}
process.exit(failure ? 1 : 0);
