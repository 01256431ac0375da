// What a credential card shows besides its claims: SD-JWT VC Type Metadata (draft-ietf-oauth-
// sd-jwt-vc Section 6, integrity per Section 7 as W3C SRI `sha256-<base64>`), the status from its
// Token Status List (draft-ietf-oauth-status-list: `statuslist+jwt`, zlib-compressed `lst`, `bits`
// per entry; 0 valid, 1 invalid, 2 suspended; kept for the token's `ttl`, at most 60 s, Section
// 13.7) and whether the trust registry lists its issuer (issue #3's JSON view).
import { parseJws, verifyJws } from "./jose.js";
import { getSetting, setSetting } from "./store.js";
import { certificateKey, parseCertificate, validateChain } from "./x509.js";
import { WalletError, b64Decode, b64uDecode, equalBytes, fetchChecked, fetchJson, nowSeconds, sha256 } from "./util.js";

const STATUS_NAMES = { 0: "valid", 1: "revoked", 2: "suspended" };

function sri(bytes) {
  return sha256(bytes).then((d) => `sha256-${btoa(String.fromCharCode(...d))}`);
}

/** Type metadata for `vct`, fetched from the issuer's host at the vct path, else the vct URL; checked against `integrity`. */
export async function fetchTypeMetadata(vct, issuer, integrity) {
  const candidates = [];
  try {
    candidates.push(new URL(new URL(vct).pathname, issuer).href);
  } catch {
    /* not an URL: only the vct itself can be tried */
  }
  candidates.push(vct);
  for (const url of candidates) {
    let response;
    try {
      response = await fetchChecked(url, { timeout: 5000 }, "the type metadata");
    } catch {
      continue;
    }
    if (!response.ok) continue;
    const bytes = new Uint8Array(await response.arrayBuffer());
    if (integrity && (await sri(bytes)) !== integrity) {
      throw new WalletError("bad_metadata", "The credential type description does not match its integrity value.");
    }
    const doc = JSON.parse(new TextDecoder().decode(bytes));
    if (doc.vct !== vct) throw new WalletError("bad_metadata", "The credential type description is for another type.");
    return doc;
  }
  return null;
}

const MAX_STATUS_CACHE = 60; // seconds: the wallet's ceiling on a status list's `ttl` (issue #12 class 7)
const MAX_TOKEN_CHARS = 1 << 20; // a status list token larger than 1 MiB is refused unread
const MAX_LIST_BYTES = 1 << 24; // and one that inflates past 16 MiB (a zip bomb) is refused

async function inflate(bytes) {
  const reader = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("deflate")).getReader();
  const chunks = [];
  let size = 0;
  for (let next = await reader.read(); !next.done; next = await reader.read()) {
    size += next.value.length;
    if (size > MAX_LIST_BYTES) {
      await reader.cancel();
      throw new WalletError("status", "status list too large");
    }
    chunks.push(next.value);
  }
  const out = new Uint8Array(size);
  chunks.reduce((offset, c) => (out.set(c, offset), offset + c.length), 0);
  return out;
}

/** The status list token at `uri`: from the wallet's cache while its `ttl` lasts, else fetched anew. */
async function statusListToken(uri) {
  const cached = await getSetting(`status-list:${uri}`);
  if (cached && cached.until > Date.now() / 1000) return { token: cached.token, cached: true };
  // Revalidate instead of trusting the HTTP cache: the wallet's own cache follows the token's ttl.
  const response = await fetchChecked(uri, { headers: { Accept: "application/statuslist+jwt" }, cache: "no-cache", timeout: 8000 }, "the status list");
  if (!response.ok) throw new WalletError("status", `status list answered ${response.status}`);
  const token = (await response.text()).trim();
  if (token.length > MAX_TOKEN_CHARS) throw new WalletError("status", "status list too large");
  return { token, cached: false };
}

/**
 * Whether the status list's signer speaks for the credential's issuer: the credential's own
 * document signer, or, for an mdoc, a certificate that chains to a national root the registry
 * lists for the issuer's country and names the issuer (what registryCheck asks of a credential).
 */
async function sameIssuer(signer, x5c, credential) {
  if (equalBytes(signer.der, b64Decode(credential.header.x5c[0]))) return true;
  if (credential.format !== "mso_mdoc") return false;
  const { getConfig } = await import("./ui.js");
  const entry = await registryCheck((await getConfig()).registry_url, { payload: credential.payload, header: { x5c } });
  return entry.listed;
}

/** Verify a status list token for `credential` (same document signer, names `uri`, not expired). */
async function verifyStatusList(token, credential, uri) {
  const { header } = parseJws(token);
  const signer = parseCertificate(b64Decode(header.x5c?.[0] || ""));
  // The list must come from the document signer that signed the credential; an mdoc's list is the
  // one its issuer's SD-JWT credentials use, signed by that issuer's (other) document signer.
  if (!(await sameIssuer(signer, header.x5c, credential))) throw new WalletError("status", "status list signed by another key");
  const { payload } = await verifyJws(token, await certificateKey(signer), { typ: "statuslist+jwt" });
  if (payload.sub !== uri || (payload.exp && payload.exp < nowSeconds())) throw new WalletError("status", "status list is stale or for another list");
  return payload;
}

/** Keep a verified token until min(ttl, exp, MAX_STATUS_CACHE) from now (Token Status List Section 13.7). */
async function cacheStatusList(uri, token, payload) {
  const now = Date.now() / 1000;
  const ttl = Number.isInteger(payload.ttl) && payload.ttl > 0 ? payload.ttl : 0;
  const until = Math.min(now + Math.min(ttl, MAX_STATUS_CACHE), payload.exp || Infinity);
  if (until > now) await setSetting(`status-list:${uri}`, { token, until });
}

/** The credential's current status: "valid", "suspended", "revoked", or "unknown" with a reason. */
export async function checkStatus(credential) {
  const ref = credential.payload?.status?.status_list;
  if (!ref) return { status: "valid", detail: "no status list" };
  try {
    const { token, cached } = await statusListToken(ref.uri);
    const payload = await verifyStatusList(token, credential, ref.uri);
    if (!cached) await cacheStatusList(ref.uri, token, payload);
    const { bits, lst } = payload.status_list;
    if (![1, 2, 4, 8].includes(bits) || !Number.isInteger(ref.idx) || ref.idx < 0) throw new WalletError("status", "index outside the list");
    const data = await inflate(b64uDecode(lst));
    const offset = ref.idx * bits;
    if (offset >= data.length * 8) throw new WalletError("status", "index outside the list");
    const value = (data[offset >> 3] >> (offset & 7)) & ((1 << bits) - 1);
    return { status: STATUS_NAMES[value] || "invalid", detail: "" };
  } catch (err) {
    return { status: "unknown", detail: err.message };
  }
}

/** How the trust registry lists `issuer`: {listed, status, country, names}. */
export async function registryEntry(registryUrl, issuer) {
  if (!registryUrl) return { listed: false, status: "no registry configured" };
  try {
    const entry = await fetchJson(`${registryUrl}/v1/issuers/${encodeURIComponent(issuer)}`, {}, "the trust registry");
    return { listed: entry.status === "granted", status: entry.status, country: entry.country, names: entry.names || {} };
  } catch (err) {
    return { listed: false, status: err.code === "unreachable" ? "registry unreachable" : "not listed" };
  }
}

function pemBody(pem) {
  return String(pem).replace(/-----(BEGIN|END) CERTIFICATE-----/g, "").replace(/\s+/g, "");
}

/**
 * Whether the registry vouches for this credential: its `iss` is listed and granted, and its
 * `x5c` chains to a national root the registry lists for that country with a certificate that
 * names `iss` (a credential's own `iss` claim proves nothing by itself).
 */
export async function registryCheck(registryUrl, credential) {
  const entry = await registryEntry(registryUrl, credential.payload.iss);
  if (!entry.listed) return entry;
  try {
    const country = await fetchJson(`${registryUrl}/v1/countries/${encodeURIComponent(entry.country)}`, {}, "the trust registry");
    const anchors = (country.anchors || []).map((a) => pemBody(a.certificate));
    const leaf = await validateChain(credential.header.x5c, anchors, nowSeconds());
    if (!leaf.uris.includes(credential.payload.iss)) return { ...entry, listed: false, status: "certificate names another issuer" };
    return entry;
  } catch {
    return { ...entry, listed: false, status: "certificate not under the listed national root" };
  }
}
