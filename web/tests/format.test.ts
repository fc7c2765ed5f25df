import { describe, expect, it } from "vitest";
import { fileName } from "../src/download";
import { cover, duration, matches, playable, trackRow } from "../src/format";
import { tokenFromFragment } from "../src/stores/session";

describe("the token from a login's redirect", () => {
  it("is read from the fragment, decoded", () => {
    expect(tokenFromFragment("#token=abc.def%2Bg")).toBe("abc.def+g");
    expect(tokenFromFragment("#x=1&token=t")).toBe("t");
  });
  it("is absent without one", () => {
    expect(tokenFromFragment("")).toBeNull();
    expect(tokenFromFragment("#token=")).toBeNull();
    expect(tokenFromFragment("#notatoken=1")).toBeNull();
  });
});

describe("a track table's row", () => {
  it("shows a track's title, artists, album, duration", () => {
    const row = trackRow(
      {
        id: "t",
        name: "Say “Hello”",
        duration_ms: 186_400,
        artists: [{ id: "a", name: "Earth, Wind & Wire" }, { id: "b", name: "Toisgo" }],
        album: { id: "al", name: "Wave" },
      },
      "2024-01-02T03:04:05Z",
    );
    expect(row).toMatchObject({ title: "Say “Hello”", artists: "Earth, Wind & Wire, Toisgo", album: "Wave", duration: "3:06" });
    expect(row.local || row.episode || row.missing).toBe(false);
  });
  it("marks local files and episodes, and a null item as no longer available", () => {
    expect(trackRow({ id: null, name: "demo.mp3", is_local: true }, null).local).toBe(true);
    const episode = trackRow({ id: "e", name: "Ep. 1", type: "episode", show: { name: "A Show" } }, null);
    expect(episode).toMatchObject({ episode: true, artists: "A Show", album: "" });
    expect(trackRow(null, null).missing).toBe(true);
  });
  it("reads the item from `item` (2026) or `track` (older)", () => {
    const track = { id: "t", name: "T" };
    expect(playable({ added_at: null, item: track })).toBe(track);
    expect(playable({ added_at: null, track })).toBe(track);
    expect(playable({ added_at: null, item: null })).toBeNull();
  });
});

describe("filtering", () => {
  const row = { title: "Ænima", artists: "Tool", album: "Ænima (Remaster)" };
  it("matches every word in title, artists or album, any case", () => {
    expect(matches(row, "ænima TOOL")).toBe(true);
    expect(matches(row, "")).toBe(true);
    expect(matches(row, "tool lateralus")).toBe(false);
  });
});

describe("formatting", () => {
  it("writes durations", () => {
    expect(duration(59_000)).toBe("0:59");
    expect(duration(3_723_000)).toBe("1:02:03");
    expect(duration(undefined)).toBe("");
  });
  it("picks the smallest cover at least as wide as asked", () => {
    const images = [
      { url: "640", width: 640 },
      { url: "60", width: 60 },
      { url: "300", width: 300 },
    ];
    expect(cover(images, 160)).toBe("300");
    expect(cover(images, 1000)).toBe("640");
    expect(cover([], 160)).toBeNull();
  });
  it("names a download as the server does, the UTF-8 name first", () => {
    expect(fileName(`attachment; filename="road_trip_.csv"; filename*=UTF-8''road_trip_%F0%9F%9A%97.csv`, "x")).toBe("road_trip_🚗.csv");
    expect(fileName('attachment; filename="liked.csv"', "x")).toBe("liked.csv");
    expect(fileName(null, "export")).toBe("export");
  });
});
