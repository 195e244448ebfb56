// Talking to the server: one error shape for every refusal.
export const PROTOCOL = 1;
export const APP_VERSION = "0.1.0";

/** A refusal from the server, carrying its problem+json code. */
export class Problem extends Error {
  constructor(status, body) {
    super(body.detail || body.title || `The server answered ${status}.`);
    this.status = status;
    this.code = body.code || "http_" + status;
    this.field = body.field || null;
    this.body = body;
  }
}

export async function call(path, { token, method = "POST", json, body, type } = {}) {
  const headers = {};
  if (token) headers.Authorization = `Bearer ${token}`;
  if (json !== undefined) {
    headers["Content-Type"] = "application/json";
    body = JSON.stringify(json);
  } else if (type) {
    headers["Content-Type"] = type;
  }

  const response = await fetch(path, { method, headers, body, cache: "no-store" });
  const text = await response.text();
  let parsed = {};
  try {
    parsed = text ? JSON.parse(text) : {};
  } catch {
    parsed = { detail: text.slice(0, 200) };
  }
  if (!response.ok) throw new Problem(response.status, parsed);
  return parsed;
}
