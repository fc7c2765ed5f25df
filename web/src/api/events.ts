import { createParser } from "eventsource-parser";
import type { Client } from "./client";
import type { Save } from "./types";

/**
 * Follows a save's event stream (`GET /api/v1/library/saves/{id}/events`) until `done`.
 * EventSource cannot send an Authorization header, so the stream is read with fetch and
 * parsed by eventsource-parser. Resolves with the final save; an `error` event (the
 * library service or the gateway went away) falls back to reading the save once.
 */
export async function followSave(
  client: Client,
  id: string,
  onProgress: (save: Save) => void,
  signal?: AbortSignal,
): Promise<Save> {
  const answer = await client.request(`/api/v1/library/saves/${id}/events`, {
    headers: { Accept: "text/event-stream" },
    signal,
  });
  let final: Save | null = null;
  let failed = false;
  const parser = createParser({
    onEvent(message) {
      if (message.event === "progress") onProgress(JSON.parse(message.data) as Save);
      else if (message.event === "done") final = JSON.parse(message.data) as Save;
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
  if (!failed) throw new Error("the save's event stream ended without an end");
  const save = await client.get<Save>(`/api/v1/library/saves/${id}`);
  onProgress(save);
  return save;
}
