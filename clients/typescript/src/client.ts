/**
 * A thin typed client of the WATI AIGC API over openapi-fetch and the types generated from the
 * OpenAPI document (src/schema.d.ts; regenerate with ./contract.sh regen). It adds the Bearer header,
 * unwraps the envelope into its data (or throws a typed WatiError), uploads images as multipart forms
 * and waits on or polls asynchronous jobs.
 */
import createClient, { type Client } from "openapi-fetch";
import type { components, paths } from "./schema.js";

export type Schemas = components["schemas"];
export type ErrorCode = Schemas["ErrorEnvelope"]["error"]["code"];
export type JobView = Schemas["JobView"];

/** An error envelope as an exception: its code, message, details, HTTP status and request id. */
export class WatiError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly status: number,
    readonly details: unknown,
    readonly requestId: string,
  ) {
    super(`${code}: ${message}`);
    this.name = "WatiError";
  }
}

/** A success envelope's parts. */
export interface Answer<D, M> {
  data: D;
  meta: M;
  requestId: string;
  /** X-Credits-Charged, when the answer is about a job. */
  creditsCharged?: string;
}

type Ok<R> = R extends { data?: infer E } ? NonNullable<E> : never;
/** The `data` of a route's success answers (a union where a route has several, e.g. 200 or 202). */
export type DataOf<R> = Ok<R> extends { data: infer D } ? D : never;
/** The `meta` of a route's success answers. */
export type MetaOf<R> = Ok<R> extends { meta: infer M } ? M : never;

/** Unwraps an openapi-fetch result: the envelope's data and meta, or a thrown WatiError. */
export function unwrap<R extends { data?: unknown; error?: unknown; response: Response }>(result: R): Answer<DataOf<R>, MetaOf<R>> {
  const { data, error, response } = result;
  if (error !== undefined || data === undefined) {
    const e = (error ?? {}) as Partial<Schemas["ErrorEnvelope"]>;
    throw new WatiError(e.error?.code ?? "INTERNAL_ERROR", e.error?.message ?? `HTTP ${response.status}`, response.status,
      e.error?.details ?? null, e.request_id ?? response.headers.get("X-Request-Id") ?? "");
  }
  const envelope = data as { data: DataOf<R>; meta: MetaOf<R>; request_id: string };
  return { data: envelope.data, meta: envelope.meta, requestId: envelope.request_id,
    creditsCharged: response.headers.get("X-Credits-Charged") ?? undefined };
}

/** An image to upload: its bytes (or a Blob) and a file name. */
export interface ImageFile {
  bytes: Uint8Array | Blob;
  name?: string;
}

/** How a model call answers: wait for the result (up to N seconds, server default 60) or return at once with a job to poll. */
export type Waiting = { wait?: number } | { async: true };

export interface WatiClientOptions {
  baseUrl: string;
  /** An access token or API key. */
  token?: string;
  fetch?: typeof fetch;
}

function form(fields: Record<string, string | number | ImageFile | undefined>): FormData {
  const body = new FormData();
  for (const [name, value] of Object.entries(fields)) {
    if (value === undefined) continue;
    if (typeof value === "object") {
      const blob = value.bytes instanceof Blob ? value.bytes : new Blob([value.bytes as Uint8Array<ArrayBuffer>]);
      body.append(name, blob, value.name ?? name);
    } else body.append(name, String(value));
  }
  return body;
}

function preferHeader(waiting: Waiting | undefined): string | undefined {
  if (!waiting) return undefined;
  return "async" in waiting ? "respond-async" : `wait=${waiting.wait}`;
}

/** The typed client: named calls for the common routes, and `raw` (openapi-fetch) for every route of the document. */
export function createWatiClient(options: WatiClientOptions) {
  const raw: Client<paths> = createClient<paths>({
    baseUrl: options.baseUrl,
    fetch: options.fetch,
    headers: options.token ? { Authorization: `Bearer ${options.token}` } : {},
  });

  /**
   * The request of a model route: the fields as a multipart form, Prefer and Idempotency-Key. The
   * generated body type describes the form's fields; the wire body is the FormData built from them.
   */
  function upload(fields: Record<string, string | number | ImageFile | undefined>, waiting?: Waiting, idempotencyKey?: string) {
    const headers: Record<string, string> = {};
    const prefer = preferHeader(waiting);
    if (prefer) headers["Prefer"] = prefer;
    if (idempotencyKey) headers["Idempotency-Key"] = idempotencyKey;
    const body = form(fields);
    return { body: fields as never, bodySerializer: () => body, headers };
  }

  return {
    raw,
    register: async (body: Schemas["RegisterBody"]) => unwrap(await raw.POST("/v1/auth/register", { body })),
    login: async (body: Schemas["LoginBody"]) => unwrap(await raw.POST("/v1/auth/login", { body })),
    me: async () => unwrap(await raw.GET("/v1/users/me")),
    createApiKey: async (name: string) => unwrap(await raw.POST("/v1/api-keys", { body: { name } })),
    credits: async () => unwrap(await raw.GET("/v1/credits")),
    prices: async () => unwrap(await raw.GET("/v1/prices")),

    gfpgan: async (image: ImageFile, params: { scale?: number; version?: "1.3" | "1.4" } = {}, waiting?: Waiting, idempotencyKey?: string) =>
      unwrap(await raw.POST("/v1/gfpgan", upload({ image, ...params }, waiting, idempotencyKey))),
    replaceStyle: async (image: ImageFile, style: Schemas["StyleMeta"]["style"], waiting?: Waiting) =>
      unwrap(await raw.POST("/v1/replace-style", upload({ image, style }, waiting))),
    replaceBackground: async (fg: ImageFile, bg: ImageFile, waiting?: Waiting) =>
      unwrap(await raw.POST("/v1/replace-background", upload({ fg, bg }, waiting))),
    iclight: async (subject_image: ImageFile, params: { prompt: string; light_source?: string; steps?: number; cfg?: number;
      width?: number; height?: number; number_of_images?: number; output_format?: string }, waiting?: Waiting) =>
      unwrap(await raw.POST("/v1/portraits/iclight", upload({ subject_image, ...params }, waiting))),

    job: async (id: string) => unwrap(await raw.GET("/v1/jobs/{id}", { params: { path: { id } } })),

    /** Polls a job until it is finished; a failed job throws its PROCESSING_ERROR. */
    async waitForJob(id: string, { intervalMs = 250, timeoutMs = 120_000 } = {}) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const answer = unwrap(await raw.GET("/v1/jobs/{id}", { params: { path: { id } } }));
        const state = answer.data.state;
        if (state === "failed") {
          throw new WatiError("PROCESSING_ERROR", answer.data.error?.message ?? "the job failed", 200, { job_id: id }, answer.requestId);
        }
        if (state === "succeeded" || state === "canceled") return answer;
        if (Date.now() > deadline) throw new WatiError("TIMEOUT_ERROR", `job ${id} is still ${state}`, 408, { job_id: id }, answer.requestId);
        await new Promise((resolve) => setTimeout(resolve, intervalMs));
      }
    },
  };
}

export type WatiClient = ReturnType<typeof createWatiClient>;
