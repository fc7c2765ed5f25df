// The shapes of docs/api.md that the app reads. Spotify's objects carry more keys; only
// the ones shown are declared.

export interface Page<T> {
  items: T[];
  total: number;
  limit: number;
  offset: number;
  next: string | null;
  previous: string | null;
}

export interface Image {
  url: string;
  width?: number | null;
  height?: number | null;
}

export interface Me {
  id: string;
  display_name: string | null;
  images?: Image[];
  tapedeck: { spotify_authorization_lost: boolean };
}

export interface Playlist {
  id: string;
  name: string;
  images: Image[] | null;
  owner: { id: string; display_name?: string | null };
  tapedeck: { items_saved: number; items_withheld: boolean };
}

export interface Artist {
  id: string | null;
  name: string;
  images?: Image[];
  genres?: string[];
  followers?: { total: number };
}

export interface Album {
  id: string | null;
  name: string;
  images?: Image[];
  artists?: Artist[];
  release_date?: string;
  total_tracks?: number;
}

/** A track or an episode as Spotify nests it in an item. */
export interface Playable {
  id: string | null;
  uri?: string;
  name: string;
  type?: "track" | "episode";
  duration_ms?: number;
  artists?: Artist[];
  album?: Album;
  show?: { name: string };
  is_local?: boolean;
}

export interface PlaylistItem {
  added_at: string | null;
  is_local?: boolean;
  item?: Playable | null;
  track?: Playable | null;
}

export interface SavedTrack {
  added_at: string;
  track: Playable;
}

export interface SavedAlbum {
  added_at: string;
  album: Album;
}

export const KINDS = ["playlists", "tracks", "albums", "artists"] as const;
export type Kind = (typeof KINDS)[number];

export type SaveStatus = "queued" | "running" | "succeeded" | "partial" | "failed";

export interface Save {
  id: string;
  status: SaveStatus;
  kinds: Kind[];
  full: boolean;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  progress: Partial<Record<Kind, { done: number; total: number | null }>>;
  counts: Partial<Record<Kind, number>>;
  spotify_requests: number;
  error: { code: string; message: string; kinds: Kind[] } | null;
}

export interface Named {
  id: string;
  uri: string;
  name: string;
}

export interface Diff {
  from: string | null;
  to: string;
  playlists: {
    added: Named[];
    removed: Named[];
    changed: (Named & { tracks_added: Named[]; tracks_removed: Named[] })[];
  };
  tracks: { added: Named[]; removed: Named[] };
  albums: { added: Named[]; removed: Named[] };
  artists: { added: Named[]; removed: Named[] };
}

export interface ApiErrorBody {
  error: { status: number; code: string; message: string };
}

export const ENDED: SaveStatus[] = ["succeeded", "partial", "failed"];

export type JobStatus = "queued" | "running" | "succeeded" | "failed" | "cancelled";

/** A download job (docs/api.md "Downloads"). */
export interface Job {
  id: string;
  track_id: string;
  status: JobStatus;
  progress: number;
  source_url: string | null;
  file_name: string | null;
  format: string | null;
  bytes: number;
  error: string | null;
  created_at: string;
  finished_at: string | null;
  match: { title: string; uploader: string; duration_s: number; score: number } | null;
}

/** One change of a playlist's history (docs/api.md "History"). */
export interface HistoryEvent {
  id: string;
  save_id: string;
  at: string;
  kind: Kind;
  type: string;
  playlist_id: string | null;
  uri: string | null;
  item: Playable | null;
  occurrence: number | null;
  position: number | null;
  from_position: number | null;
  before: string | null;
  after: string | null;
}

/** An item a playlist ever held, with when it came and went. */
export interface CumulativeEntry {
  uri: string | null;
  item: Playable | null;
  occurrence: number;
  first_seen: string;
  last_seen: string;
  present: boolean;
  cycles: { added: string; removed: string | null }[];
}

export interface NotRestorable {
  uri: string;
  reason: string;
}

/** A restore (docs/api.md "Restores"); `plan` is null until the job has looked. */
export interface Restore {
  id: string;
  status: "queued" | "running" | "succeeded" | "partial" | "failed" | "cancelled";
  dry_run: boolean;
  mode: "new" | "replace";
  source: { save?: string; import?: string };
  created_at: string;
  finished_at: string | null;
  plan: {
    playlists: {
      source_id: string;
      name: string;
      action: "create" | "replace" | "none";
      target_id: string | null;
      add: number;
      remove: number;
      not_restorable: NotRestorable[];
    }[];
    liked: { add: number; not_restorable: NotRestorable[] } | null;
    albums: { add: number; not_restorable: NotRestorable[] } | null;
    artists: { add: number; not_restorable: NotRestorable[] } | null;
  } | null;
  progress: { done: number; total: number | null };
  spotify_requests: number;
  error: { code: string; message: string } | null;
}

/** A library brought in from a file (docs/api.md "Imports"), a restore's possible source. */
export interface Import {
  id: string;
  format: string;
  created_at: string;
  playlists: { id: string; name: string; items: number; unresolved: number }[];
  liked: number;
  albums: number;
}
