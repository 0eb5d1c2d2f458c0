// Calls to this service: every failure becomes an ApiError that says in words what happened,
// so the page never shows a blank panel or a spinner that never ends.

/** Milliseconds before a request is given up (?timeout_ms= on the page's URL overrides it). */
export const DEFAULT_TIMEOUT_MS = 15000;

export class ApiError extends Error {
  /**
   * kind: "problem" (the service answered with problem+json), "http" (an error status without
   * one, e.g. from a proxy), "timeout", "network", "invalid" (a 200 that is not JSON).
   */
  constructor(kind, message, { status = null, problem = null } = {}) {
    super(message);
    this.kind = kind;
    this.status = status;
    this.problem = problem;
  }
}

/** A URL relative to the page, so the page works under a reverse proxy's path prefix. */
export function url(path, params = {}) {
  const u = new URL(path, document.baseURI);
  for (const [k, v] of Object.entries(params)) {
    if (v !== null && v !== undefined && v !== "") u.searchParams.set(k, v);
  }
  return u;
}

/** GET or POST JSON; resolves to the parsed body, rejects with an ApiError. */
export async function request(path, { method = "GET", body = undefined, params = {},
                                      timeoutMs = DEFAULT_TIMEOUT_MS, signal = null } = {}) {
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => { timedOut = true; controller.abort(); }, timeoutMs);
  const onAbort = () => controller.abort();
  if (signal) signal.addEventListener("abort", onAbort, { once: true });
  let response;
  try {
    response = await fetch(url(path, params), {
      method,
      headers: body === undefined ? { Accept: "application/json" }
        : { Accept: "application/json", "Content-Type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: controller.signal,
      cache: "no-store",
    });
    const text = await response.text();
    return parse(response, text);
  } catch (err) {
    if (err instanceof ApiError) throw err;
    if (timedOut) {
      throw new ApiError("timeout", `The service did not answer within ${seconds(timeoutMs)}. `
        + "It may be overloaded or stopped; try again in a moment.");
    }
    if (signal && signal.aborted) throw new ApiError("aborted", "Cancelled by a newer request.");
    throw new ApiError("network", "Could not reach the service (the network or the server is "
      + `down): ${err && err.message ? err.message : err}.`);
  } finally {
    clearTimeout(timer);
    if (signal) signal.removeEventListener("abort", onAbort);
  }
}

function seconds(ms) {
  return ms >= 1000 ? `${Math.round(ms / 100) / 10} s` : `${ms} ms`;
}

function parse(response, text) {
  const type = response.headers.get("content-type") || "";
  let data = null;
  if (type.includes("json")) {
    try {
      data = JSON.parse(text);
    } catch {
      data = null;
    }
  }
  if (response.ok) {
    if (data === null) {
      throw new ApiError("invalid", `The service answered HTTP ${response.status} but not with `
        + "JSON; is this page served by the pricing service?", { status: response.status });
    }
    return data;
  }
  if (data && typeof data === "object" && typeof data.title === "string") {
    const where = data.field ? ` (field ${data.field})` : "";
    throw new ApiError("problem", `${data.title}${where}: ${data.detail || ""}`.trim(),
                       { status: response.status, problem: data });
  }
  const reason = response.statusText ? ` ${response.statusText}` : "";
  throw new ApiError("http", `The service answered HTTP ${response.status}${reason} without `
    + "saying why (a proxy in between, or the service is restarting).",
                     { status: response.status });
}
