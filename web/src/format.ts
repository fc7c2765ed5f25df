import type { Artist, Playable, PlaylistItem } from "./api/types";

/** 3:07, or 1:02:03 for an hour and more. */
export function duration(ms: number | undefined | null): string {
  if (ms === undefined || ms === null) return "";
  const seconds = Math.round(ms / 1000);
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = String(seconds % 60).padStart(2, "0");
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${s}` : `${m}:${s}`;
}

/** A date as the person's browser writes dates; empty for none. */
export function day(iso: string | null | undefined): string {
  if (!iso) return "";
  const when = new Date(iso);
  return Number.isNaN(when.getTime()) ? iso : when.toLocaleDateString();
}

export function moment(iso: string | null | undefined): string {
  if (!iso) return "";
  const when = new Date(iso);
  return Number.isNaN(when.getTime()) ? iso : when.toLocaleString();
}

export function artists(list: Artist[] | undefined): string {
  return (list ?? []).map((a) => a.name).join(", ");
}

/** The track or episode of an item, whichever shape Spotify sent (`item` or `track`). */
export function playable(item: PlaylistItem): Playable | null {
  return item.item ?? item.track ?? null;
}

/** A row of a track table, the same for a playlist's items and Liked Songs. */
export interface TrackRow {
  title: string;
  artists: string;
  album: string;
  duration: string;
  added: string;
  local: boolean;
  episode: boolean;
  missing: boolean;
}

export function trackRow(track: Playable | null, addedAt: string | null, local = false): TrackRow {
  const episode = track?.type === "episode";
  return {
    title: track?.name ?? "(no longer available)",
    artists: episode ? (track?.show?.name ?? "") : artists(track?.artists),
    album: episode ? "" : (track?.album?.name ?? ""),
    duration: duration(track?.duration_ms),
    added: day(addedAt),
    local: local || Boolean(track?.is_local),
    episode,
    missing: track === null,
  };
}

/** Whether every word of `query` is in the row's title, artists or album (any case). */
export function matches(row: { title: string; artists?: string; album?: string }, query: string): boolean {
  const words = query.toLocaleLowerCase().split(/\s+/).filter(Boolean);
  if (words.length === 0) return true;
  const text = `${row.title}\n${row.artists ?? ""}\n${row.album ?? ""}`.toLocaleLowerCase();
  return words.every((word) => text.includes(word));
}

/** The smallest image at least `side` pixels wide, else the largest. */
export function cover(images: { url: string; width?: number | null }[] | null | undefined, side = 160): string | null {
  if (!images || images.length === 0) return null;
  const sorted = [...images].sort((a, b) => (a.width ?? 0) - (b.width ?? 0));
  return (sorted.find((i) => (i.width ?? 0) >= side) ?? sorted[sorted.length - 1]!).url;
}

/** A card of a grid (playlists, albums, artists). */
export interface Card {
  key: string;
  title: string;
  subtitle: string;
  image: string | null;
  to?: string;
  round?: boolean;
}
