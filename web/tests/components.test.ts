import { flushPromises, mount } from "@vue/test-utils";
import { createPinia, setActivePinia } from "pinia";
import { beforeEach, describe, expect, it } from "vitest";
import type { Save } from "../src/api/types";
import ProgressBar from "../src/components/ProgressBar.vue";
import SaveProgress from "../src/components/SaveProgress.vue";
import TrackTable from "../src/components/TrackTable.vue";
import { trackRow } from "../src/format";

function save(overrides: Partial<Save>): Save {
  return {
    id: "0".repeat(32),
    status: "running",
    kinds: ["playlists", "tracks"],
    full: false,
    created_at: "2026-11-25T11:11:03Z",
    started_at: null,
    finished_at: null,
    progress: {},
    counts: {},
    spotify_requests: 0,
    error: null,
    ...overrides,
  };
}

beforeEach(() => setActivePinia(createPinia()));

describe("ProgressBar", () => {
  it("says how far a kind is, as text and for assistive technology", () => {
    const bar = mount(ProgressBar, { props: { label: "Playlists", done: 5, total: 20 } });
    expect(bar.text()).toContain("5 / 20");
    expect(bar.get("[role=progressbar]").attributes("aria-valuenow")).toBe("25");
  });
  it("has no value until the total is known", () => {
    const bar = mount(ProgressBar, { props: { label: "Albums", done: 0, total: null } });
    expect(bar.get("[role=progressbar]").attributes("aria-valuenow")).toBeUndefined();
  });
});

describe("SaveProgress", () => {
  it("shows a bar per kind of the save, and its error", () => {
    const view = mount(SaveProgress, {
      props: {
        save: save({
          status: "partial",
          progress: { playlists: { done: 25, total: 25 }, tracks: { done: 40, total: 300 } },
          error: { code: "rate_limited", message: "Spotify asked to wait", kinds: ["tracks"] },
        }),
      },
    });
    const bars = view.findAll("[role=progressbar]");
    expect(bars.map((b) => b.attributes("aria-label"))).toEqual(["Playlists", "Liked Songs"]);
    expect(bars.map((b) => b.attributes("aria-valuenow"))).toEqual(["100", "13"]);
    expect(view.text()).toContain("partial");
    expect(view.text()).toContain("Spotify asked to wait");
  });
});

describe("TrackTable", () => {
  // happy-dom lays nothing out: give the table's scroller the height a screen would.
  beforeEach(() => {
    Object.defineProperty(HTMLElement.prototype, "clientHeight", {
      configurable: true,
      get(this: HTMLElement) {
        return this.classList.contains("track-scroll") ? 600 : 0;
      },
    });
  });

  it("puts only the rows in view into the page, however long the list", async () => {
    const rows = Array.from({ length: 5000 }, (_, i) =>
      trackRow({ id: `t${i}`, name: `Track ${i}`, duration_ms: 1000 * i }, null),
    );
    const table = mount(TrackTable, { props: { rows, total: 5000, label: "Big" }, attachTo: document.body });
    await flushPromises();
    expect(table.get("[role=table]").attributes("aria-rowcount")).toBe("5001");
    const rendered = table.findAll(".track-scroll [role=row]").length;
    expect(rendered).toBeGreaterThan(5);
    expect(rendered).toBeLessThan(100);
    expect(table.find(".track-scroll [role=row]").text()).toContain("Track 0");
    table.unmount();
  });
  it("shows long names whole in a tooltip", async () => {
    const long = "A very long name ".repeat(20) + "終わり 🚗";
    const table = mount(TrackTable, {
      props: { rows: [trackRow({ id: "t", name: long }, null)], total: 1, label: "One" },
      attachTo: document.body,
    });
    await flushPromises();
    expect(table.get(".track-scroll .title").attributes("title")).toBe(long);
    table.unmount();
  });
});
