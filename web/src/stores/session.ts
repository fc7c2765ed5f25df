import { defineStore } from "pinia";
import { markRaw, ref } from "vue";
import { ApiError, Client } from "../api/client";
import type { Me } from "../api/types";

const STORAGE_KEY = "tapedeck.token";

/** The token from a login's redirect (`/#token=…`), or null. */
export function tokenFromFragment(hash: string): string | null {
  const found = /(?:^#|&)token=([^&]*)/.exec(hash);
  return found && found[1] ? decodeURIComponent(found[1]) : null;
}

/**
 * Who is logged in. The token is kept in localStorage so a reload stays logged in; any 401
 * drops it and the router goes back to the home page.
 */
export const useSession = defineStore("session", () => {
  const token = ref<string | null>(null);
  const me = ref<Me | null>(null);
  const checked = ref(false);
  /** Set when a 401 ended the session, so the home page can say why. */
  const expired = ref(false);
  const listeners: (() => void)[] = [];

  // Raw: a class with private state, not reactive data.
  const client = markRaw(new Client({
    token: () => token.value,
    onUnauthorized: () => drop(true),
  }));

  function drop(becauseExpired: boolean): void {
    const had = token.value !== null;
    token.value = null;
    me.value = null;
    expired.value = becauseExpired && had;
    localStorage.removeItem(STORAGE_KEY);
    if (had) listeners.forEach((listener) => listener());
  }

  /** Runs once at start: takes a token from the URL fragment (and removes it from the
   * address bar and history), or the stored one, and checks it with `/api/v1/me`. The page
   * does not wait for that check: it loads with the token at once, and a 401 from either
   * ends the session (`onUnauthorized`), so a stored token costs no round trip first. */
  function start(): Promise<void> {
    const fromUrl = tokenFromFragment(window.location.hash);
    if (fromUrl) {
      localStorage.setItem(STORAGE_KEY, fromUrl);
      window.history.replaceState(
        window.history.state,
        "",
        window.location.pathname + window.location.search,
      );
    }
    token.value = fromUrl ?? localStorage.getItem(STORAGE_KEY);
    checked.value = true;
    return token.value ? loadMe() : Promise.resolve();
  }

  async function loadMe(): Promise<void> {
    try {
      me.value = await client.get<Me>("/api/v1/me");
    } catch (error) {
      // A 401 has already ended the session; anything else leaves the page as it is.
      if (!(error instanceof ApiError)) throw error;
    }
  }

  async function logout(): Promise<void> {
    try {
      await client.post("/auth/logout", {});
    } catch {
      // Logged out either way: the token is dropped here whatever the server said.
    }
    drop(false);
  }

  /** Called whenever the session ends (logout or a 401). */
  function onEnd(listener: () => void): void {
    listeners.push(listener);
  }

  return { token, me, checked, expired, client, start, logout, onEnd, drop };
});
