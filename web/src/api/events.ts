import { createParser } from "eventsource-parser";
import type { Client } from "./client";
import type { Save } from "./types";

/**
 * Follows a job's event stream (a save's or a restore's: `progress` events, then one
 * `done`, each carrying the whole object) and resolves with the final object. EventSource
 * cannot send an Authorization header, so the stream is read with fetch and parsed by
 * eventsource-parser. An `error` event (the service or the gateway went away) falls back
 * to reading the object once from `objectPath`.
 */
export async function followEvents<T>(
  client: Client,
  objectPath: string,
  onProgress: (value: T) => void,
  signal?: AbortSignal,
): Promise<T> {
  const answer = await client.request(`${objectPath}/events`, {
    headers: { Accept: "text/event-stream" },
    signal,
  });
  let final: T | null = null;
  let failed = false;
  const parser = createParser({
    onEvent(message) {
      if (message.event === "progress") onProgress(JSON.parse(message.data) as T);
      else if (message.event === "done") final = JSON.parse(message.data) as T;
      else if (message.event === "error") failed = true;
    },
  });
  const reader = answer.body!.pipeThrough(new TextDecoderStream()).getReader();
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    parser.feed(value);
  }
  if (final) return final;
  if (!failed) throw new Error("the event stream ended without an end");
  const value = await client.get<T>(objectPath);
  onProgress(value);
  return value;
}

/** A save's event stream (`GET /api/v1/library/saves/{id}/events`) to its end. */
export function followSave(
  client: Client,
  id: string,
  onProgress: (save: Save) => void,
  signal?: AbortSignal,
): Promise<Save> {
  return followEvents<Save>(client, `/api/v1/library/saves/${id}`, onProgress, signal);
}
