// The query API as the app calls it: the session (token, workspace) and one request function.
// Every call sends the bearer token and ?workspace=; a refused call throws an ApiError.

const TOKEN = "wayfinder.token";
const WORKSPACE = "wayfinder.workspace";

export const session = {
  get token() { return sessionStorage.getItem(TOKEN); },
  set token(value) {
    if (value) sessionStorage.setItem(TOKEN, value); else sessionStorage.removeItem(TOKEN);
  },
  get workspace() { return sessionStorage.getItem(WORKSPACE); },
  set workspace(value) {
    if (value) sessionStorage.setItem(WORKSPACE, value); else sessionStorage.removeItem(WORKSPACE);
  },
  clear() { this.token = null; this.workspace = null; },
};

/** An error the API answered with: its HTTP status and the error object of its JSON body. */
export class ApiError extends Error {
  constructor(status, error) {
    super(error.message || `the server answered ${status}`);
    this.status = status;
    this.error = error;
  }

  /** The message with what the API adds to it (the value it refused, a hint). */
  get details() {
    const e = this.error;
    const parts = [];
    const value = e.value === undefined || e.value === null ? "" : String(e.value);
    if (value && !this.message.includes(value)) parts.push(`(${value})`);
    if (e.problems) parts.push(e.problems.map((p) => `${p.field}: ${p.message}`).join("; "));
    if (e.hint) parts.push(`Hint: ${e.hint}`);
    return parts.join(" ");
  }
}

/** Called when the token stops working (401), so the app can go back to the login. */
let onUnauthorised = () => {};
export function whenUnauthorised(handler) { onUnauthorised = handler; }

/**
 * One API call: `api("/api/ask", {method: "POST", body: {...}})`. The workspace is the
 * session's unless `workspace` is given; `params` are added to the query string.
 */
export async function api(path, { method = "GET", body, params = {}, workspace } = {}) {
  const url = new URL(path, window.location.origin);
  const chosen = workspace ?? session.workspace;
  if (chosen) url.searchParams.set("workspace", chosen);
  for (const [name, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== "") url.searchParams.set(name, value);
  }
  const headers = { Authorization: `Bearer ${session.token}`, Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let response;
  try {
    response = await fetch(url, {
      method, headers, body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (exc) {
    throw new ApiError(0, { message: "the server cannot be reached", hint: String(exc) });
  }
  const text = await response.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch { data = null; }
  if (!response.ok) {
    const error = (data && data.error) || fromDetail(data) || { message: text || response.statusText };
    if (typeof error.message !== "string") error.message = JSON.stringify(error);
    const refused = new ApiError(response.status, error);
    if (response.status === 401) onUnauthorised(refused);
    throw refused;
  }
  return data;
}

/** FastAPI's own refusals (a body that is not valid) say ``{"detail": ...}``. */
function fromDetail(data) {
  if (!data || data.detail === undefined) return null;
  const detail = data.detail;
  if (!Array.isArray(detail)) return { message: String(detail) };
  return {
    message: "the request is not valid",
    problems: detail.map((d) => ({ field: (d.loc || []).join("."), message: d.msg })),
  };
}
