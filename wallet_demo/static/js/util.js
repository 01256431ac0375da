// Byte and encoding helpers shared by the wallet modules (RFC 4648 Section 5 base64url, UTF-8).
export const enc = new TextEncoder();
export const dec = new TextDecoder("utf-8", { fatal: true });

export class WalletError extends Error {
  /** An error with a message fit to show the user; `code` is a stable machine name. */
  constructor(code, message) {
    super(message);
    this.code = code;
  }
}

export function b64uEncode(bytes) {
  const data = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  let text = "";
  for (let i = 0; i < data.length; i += 0x8000) {
    text += String.fromCharCode(...data.subarray(i, i + 0x8000));
  }
  return btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

export function b64uDecode(text) {
  // Strict: only the URL-safe alphabet and no padding (RFC 7515 Section 2).
  if (typeof text !== "string" || !/^[A-Za-z0-9_-]*$/.test(text) || text.length % 4 === 1) {
    throw new WalletError("malformed", "invalid base64url");
  }
  const padded = text.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((text.length + 3) % 4);
  return Uint8Array.from(atob(padded), (c) => c.charCodeAt(0));
}

export function b64Decode(text) {
  if (typeof text !== "string" || !/^[A-Za-z0-9+/]*={0,2}$/.test(text)) {
    throw new WalletError("malformed", "invalid base64");
  }
  return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
}

export async function sha256(data) {
  const bytes = typeof data === "string" ? enc.encode(data) : data;
  return new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
}

export function randomToken(n = 16) {
  return b64uEncode(crypto.getRandomValues(new Uint8Array(n)));
}

export function equalBytes(a, b) {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i] ^ b[i];
  return diff === 0;
}

export function nowSeconds() {
  return Math.floor(Date.now() / 1000);
}

/** fetch() with a timeout and a clear error when the service cannot be reached. */
export async function fetchChecked(url, options = {}, what = "the service") {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), options.timeout || 15000);
  try {
    return await fetch(url, { ...options, signal: controller.signal, credentials: "omit", referrerPolicy: "no-referrer" });
  } catch {
    throw new WalletError("unreachable", `Could not reach ${what}.`);
  } finally {
    clearTimeout(timer);
  }
}

export async function fetchJson(url, options = {}, what = "the service") {
  const response = await fetchChecked(url, options, what);
  let body = null;
  try {
    body = await response.json();
  } catch {
    body = null;
  }
  if (!response.ok) {
    const reason = body && (body.error_description || body.error || body.detail);
    const error = new WalletError(body?.error || "http_error", `${what} refused the request (${response.status}${reason ? `: ${reason}` : ""}).`);
    error.description = typeof body?.error_description === "string" ? body.error_description : "";
    throw error;
  }
  if (body === null || typeof body !== "object") throw new WalletError("malformed", `${what} did not answer JSON.`);
  return body;
}
