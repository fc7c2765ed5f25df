import { createPinia, setActivePinia } from "pinia";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ApiError } from "../src/api/client";
import { useSession } from "../src/stores/session";

// The gateway's answers stand in for the gateway here; the browser tests (tests/web) run
// the same flow against the real one.
function answer(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });
}

describe("the session", () => {
  beforeEach(() => {
    setActivePinia(createPinia());
    localStorage.clear();
  });
  afterEach(() => vi.unstubAllGlobals());

  it("keeps a login's token from the fragment and takes it out of the address bar", async () => {
    const calls: [string, Headers][] = [];
    vi.stubGlobal("fetch", async (url: string, init: RequestInit) => {
      calls.push([url, new Headers(init.headers)]);
      return answer(200, { id: "alice", display_name: "Alice", tapedeck: { spotify_authorization_lost: false } });
    });
    window.history.replaceState(null, "", "/playlists#token=t0k%2Ben");
    const session = useSession();
    await session.start();
    expect(session.token).toBe("t0k+en");
    expect(localStorage.getItem("tapedeck.token")).toBe("t0k+en");
    expect(window.location.hash).toBe("");
    expect(window.location.pathname).toBe("/playlists");
    expect(calls[0]![0]).toBe("/api/v1/me");
    expect(calls[0]![1].get("Authorization")).toBe("Bearer t0k+en");
    expect(session.me?.display_name).toBe("Alice");
  });

  it("drops the token on any 401 and tells whoever listens", async () => {
    localStorage.setItem("tapedeck.token", "revoked");
    vi.stubGlobal("fetch", async () =>
      answer(401, { error: { status: 401, code: "invalid_token", message: "the token was revoked" } }),
    );
    window.history.replaceState(null, "", "/saves");
    const session = useSession();
    let ended = 0;
    session.onEnd(() => (ended += 1));
    await session.start();
    expect(session.token).toBeNull();
    expect(session.expired).toBe(true);
    expect(localStorage.getItem("tapedeck.token")).toBeNull();
    expect(ended).toBe(1);
    await expect(session.client.get("/api/v1/playlists")).rejects.toMatchObject({ status: 401, code: "invalid_token" });
    expect(ended).toBe(1);
  });

  it("keeps the token when the gateway is only unavailable", async () => {
    localStorage.setItem("tapedeck.token", "good");
    vi.stubGlobal("fetch", async () =>
      answer(503, { error: { status: 503, code: "service_unavailable", message: "try again shortly" } }),
    );
    const session = useSession();
    await session.start();
    expect(session.token).toBe("good");
    await expect(session.client.get("/api/v1/tracks")).rejects.toBeInstanceOf(ApiError);
    expect(localStorage.getItem("tapedeck.token")).toBe("good");
  });
});
