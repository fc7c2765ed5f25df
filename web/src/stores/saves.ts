import { defineStore } from "pinia";
import { computed, ref } from "vue";
import { ApiError } from "../api/client";
import { followSave } from "../api/events";
import { ENDED, type Kind, type Page, type Save } from "../api/types";
import { useLists } from "./lists";
import { useSession } from "./session";

/**
 * The person's saves: the history, and the one running now with its progress from the
 * save's event stream. Only one save runs at a time (the gateway answers 409 otherwise,
 * with the running save, which is then followed instead).
 */
export const useSaves = defineStore("saves", () => {
  const session = useSession();
  const lists = useLists();
  const history = ref<Save[]>([]);
  const current = ref<Save | null>(null);
  const error = ref<string | null>(null);
  const running = computed(() => current.value !== null && !ENDED.includes(current.value.status));
  session.onEnd(() => {
    history.value = [];
    current.value = null;
  });

  async function load(): Promise<void> {
    const page = await session.client.get<Page<Save>>("/api/v1/library/saves?limit=50");
    history.value = page.items;
  }

  function remember(save: Save): void {
    current.value = save;
    const at = history.value.findIndex((s) => s.id === save.id);
    if (at >= 0) history.value[at] = save;
    else history.value.unshift(save);
  }

  /** Starts a save of `kinds` (every kind when absent) and follows it to its end. */
  async function start(kinds?: Kind[]): Promise<Save | null> {
    error.value = null;
    let save: Save;
    try {
      save = await session.client.post<Save>("/api/v1/library/saves", kinds ? { kinds } : {});
    } catch (failure) {
      if (failure instanceof ApiError && failure.status === 409) {
        save = (failure.body as { save: Save }).save;
      } else {
        error.value = failure instanceof Error ? failure.message : String(failure);
        return null;
      }
    }
    remember(save);
    try {
      const final = await followSave(session.client, save.id, remember);
      remember(final);
      for (const kind of final.kinds) lists.forget(kind);
      return final;
    } catch (failure) {
      error.value = failure instanceof Error ? failure.message : String(failure);
      return null;
    }
  }

  /** Deletes an ended save (204); the list drops it. */
  async function remove(id: string): Promise<void> {
    await session.client.request(`/api/v1/library/saves/${id}`, { method: "DELETE" });
    history.value = history.value.filter((s) => s.id !== id);
  }

  return { history, current, running, error, load, start, remove };
});
