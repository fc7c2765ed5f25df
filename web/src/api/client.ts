import type { ApiErrorBody, Page } from "./types";

/** An answer that was not 2xx, with the error body of docs/api.md when there was one. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly body: unknown = null,
  ) {
    super(message);
  }
}

export interface ClientOptions {
  /** The token to send, or null when logged out. */
  token: () => string | null;
  /** Called on any 401: the token is no longer good (expired, revoked, logged out). */
  onUnauthorized: () => void;
  fetch?: typeof fetch;
}

/** The gateway's public API, from the page's own origin (the gateway serves the app). */
export class Client {
  constructor(private readonly options: ClientOptions) {}

  private get fetcher(): typeof fetch {
    return this.options.fetch ?? window.fetch.bind(window);
  }

  /** The raw answer; any non-2xx becomes an ApiError, a 401 also logs out. */
  async request(path: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    const token = this.options.token();
    if (token) headers.set("Authorization", `Bearer ${token}`);
    // A FormData body (a file upload) sets its own multipart type and boundary.
    if (typeof init.body === "string" && !headers.has("Content-Type")) {
      headers.set("Content-Type", "application/json");
    }
    const answer = await this.fetcher(path, { ...init, headers });
    if (answer.ok) return answer;
    let body: unknown = null;
    try {
      body = await answer.json();
    } catch {
      // Not every failure has a JSON body (a proxy's 502, say).
    }
    const error = (body as ApiErrorBody | null)?.error;
    if (answer.status === 401) this.options.onUnauthorized();
    throw new ApiError(
      answer.status,
      error?.code ?? "http_error",
      error?.message ?? `${answer.status} ${answer.statusText}`,
      body,
    );
  }

  async get<T>(path: string, init: RequestInit = {}): Promise<T> {
    return (await (await this.request(path, init)).json()) as T;
  }

  async post<T>(path: string, body: unknown): Promise<T> {
    const answer = await this.request(path, { method: "POST", body: JSON.stringify(body) });
    return answer.status === 204 ? (undefined as T) : ((await answer.json()) as T);
  }

  /** One page of a paged list (docs/api.md "Paging"). */
  page<T>(path: string, offset: number, limit = 100): Promise<Page<T>> {
    const sep = path.includes("?") ? "&" : "?";
    return this.get<Page<T>>(`${path}${sep}offset=${offset}&limit=${limit}`);
  }
}
