import { defineStore } from "pinia";
import { reactive } from "vue";
import { useSession } from "./session";

/** One paged list of the library, as loaded so far. */
export interface LoadedList<T> {
  items: T[];
  total: number | null;
  loading: boolean;
  error: string | null;
  /** Why the list is empty, from the gateway's Tapedeck-Notice header. */
  notice: string | null;
}

const PAGE = 100;
// The first page of a list is smaller: its rows show sooner, the rest follow as it scrolls.
const FIRST_PAGE = 50;

/**
 * The library's lists, each loaded page by page when its page opens (and on scroll), and
 * kept for the session: going back to a page shows it at once. A save of a kind forgets
 * that kind's lists, so they load again from the new save.
 */
export const useLists = defineStore("lists", () => {
  const session = useSession();
  const lists = reactive(new Map<string, LoadedList<unknown>>());
  session.onEnd(() => lists.clear());

  function list<T>(path: string): LoadedList<T> {
    let found = lists.get(path);
    if (!found) {
      found = { items: [], total: null, loading: false, error: null, notice: null };
      lists.set(path, found);
    }
    return found as LoadedList<T>;
  }

  /** Loads the next page of `path` unless it is complete or already loading. */
  async function more(path: string): Promise<void> {
    const loaded = list(path);
    if (loaded.loading || (loaded.total !== null && loaded.items.length >= loaded.total)) return;
    loaded.loading = true;
    loaded.error = null;
    try {
      const sep = path.includes("?") ? "&" : "?";
      const answer = await session.client.request(
        `${path}${sep}offset=${loaded.items.length}&limit=${loaded.items.length ? PAGE : FIRST_PAGE}`,
      );
      const page = (await answer.json()) as { items: unknown[]; total: number };
      loaded.items.push(...page.items);
      loaded.total = page.total;
      loaded.notice = answer.headers.get("Tapedeck-Notice");
    } catch (error) {
      loaded.error = error instanceof Error ? error.message : String(error);
    } finally {
      loaded.loading = false;
    }
  }

  /** Forgets every list read from `kind` (after a save of it). */
  function forget(kind: string): void {
    const prefix = kind === "playlists" ? "/api/v1/playlists" : `/api/v1/${kind}`;
    for (const key of [...lists.keys()]) if (key.startsWith(prefix)) lists.delete(key);
  }

  return { list, more, forget };
});
