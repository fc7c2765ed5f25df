import { defineStore } from "pinia";
import { computed, ref } from "vue";
import type { Job, Page } from "../api/types";
import { useSession } from "./session";

const POLL_MS = 1500;

/**
 * The download queue. Jobs have no event stream: while any is queued or running the list
 * is read again every 1.5 s (only while the Downloads page or a queue button watches it).
 */
export const useDownloads = defineStore("downloads", () => {
  const session = useSession();
  const jobs = ref<Job[]>([]);
  const total = ref<number | null>(null);
  const error = ref<string | null>(null);
  const queued = ref<string | null>(null);
  let timer: ReturnType<typeof setTimeout> | null = null;
  let watchers = 0;
  const busy = computed(() => jobs.value.some((j) => j.status === "queued" || j.status === "running"));
  session.onEnd(() => {
    jobs.value = [];
    total.value = null;
  });

  async function load(): Promise<void> {
    try {
      const page = await session.client.get<Page<Job>>("/api/v1/downloads?limit=100");
      jobs.value = page.items;
      total.value = page.total;
      error.value = null;
    } catch (failure) {
      error.value = failure instanceof Error ? failure.message : String(failure);
    }
  }

  function schedule(): void {
    if (timer !== null || watchers === 0) return;
    timer = setTimeout(async () => {
      timer = null;
      await load();
      if (busy.value) schedule();
    }, POLL_MS);
  }

  /** Keeps the list fresh while a page shows it; returns the function that stops. */
  function watch(): () => void {
    watchers += 1;
    void load().then(() => busy.value && schedule());
    return () => {
      watchers -= 1;
      if (watchers === 0 && timer !== null) {
        clearTimeout(timer);
        timer = null;
      }
    };
  }

  /** Queues `body` (`{tracks}`, `{playlist_id}` or `{liked: true}`). */
  async function queue(body: Record<string, unknown>): Promise<number> {
    error.value = null;
    try {
      const answer = await session.client.post<{ items: Job[] }>("/api/v1/downloads", body);
      queued.value = `${answer.items.length} ${answer.items.length === 1 ? "track" : "tracks"} queued`;
      await load();
      schedule();
      return answer.items.length;
    } catch (failure) {
      error.value = failure instanceof Error ? failure.message : String(failure);
      return 0;
    }
  }

  async function remove(job: Job): Promise<void> {
    await session.client.request(`/api/v1/downloads/${job.id}`, { method: "DELETE" });
    await load();
    schedule();
  }

  /** The job's audio file as a blob URL: `<audio>` cannot send the Authorization header. */
  async function file(job: Job): Promise<{ url: string; name: string }> {
    const answer = await session.client.request(`/api/v1/downloads/${job.id}/file`);
    const blob = await answer.blob();
    return { url: URL.createObjectURL(blob), name: job.file_name ?? `${job.track_id}.${job.format ?? "audio"}` };
  }

  return { jobs, total, error, queued, busy, load, watch, queue, remove, file };
});
