// SD-JWT on the holder's side (RFC 9901): parse `<issuer-jwt>~<disclosure>~...~`, decode the
// disclosures and find where each sits (Sections 4.2, 7.1), select the disclosures a verifier
// asked for by claim path including every parent disclosure (Section 7.2), and append a KB-JWT
// (Section 4.3: typ `kb+jwt`, `iat`, `aud`, `nonce`, `sd_hash` over the presentation).
import { parseJws, signJws, verifyJws } from "./jose.js";
import { certificateKey, parseCertificate } from "./x509.js";
import { WalletError, b64Decode, b64uDecode, b64uEncode, dec, sha256 } from "./util.js";

const RESERVED = new Set(["_sd", "_sd_alg", "..."]);

function malformed(message) {
  return new WalletError("bad_credential", message);
}

function decodeDisclosure(text) {
  let value;
  try {
    value = JSON.parse(dec.decode(b64uDecode(text)));
  } catch {
    throw malformed("A disclosure is not valid base64url JSON.");
  }
  if (!Array.isArray(value) || (value.length !== 2 && value.length !== 3) || typeof value[0] !== "string") {
    throw malformed("A disclosure is not a [salt, (name,) value] array.");
  }
  if (value.length === 3 && (typeof value[1] !== "string" || RESERVED.has(value[1]))) {
    throw malformed("A disclosure has an invalid claim name.");
  }
  return value.length === 3 ? { name: value[1], value: value[2] } : { name: null, value: value[1] };
}

/** Split a serialized SD-JWT into its issuer JWT, disclosures and (optional) KB-JWT. */
export function splitSdJwt(serialized) {
  if (typeof serialized !== "string" || !serialized.includes("~")) throw malformed("The credential is not an SD-JWT.");
  const parts = serialized.split("~");
  const kb = parts.pop();
  return { jwt: parts[0], disclosures: parts.slice(1), kbJwt: kb || null };
}

/** Decode an SD-JWT: the processed claims and every disclosure with its claim path. */
export async function decodeSdJwt(serialized) {
  const { jwt, disclosures } = splitSdJwt(serialized);
  const { header, payload } = parseJws(jwt);
  if ((payload._sd_alg || "sha-256") !== "sha-256") throw malformed("Only sha-256 disclosure digests are supported.");
  const byDigest = new Map();
  for (const text of disclosures) {
    const digest = b64uEncode(await sha256(text));
    if (byDigest.has(digest)) throw malformed("A disclosure is repeated.");
    byDigest.set(digest, { text, ...decodeDisclosure(text), path: null, parent: null });
  }
  const used = new Set();
  const take = (digest) => {
    if (typeof digest !== "string" || !byDigest.has(digest)) return null;
    if (used.has(digest)) throw malformed("A digest is referenced twice.");
    used.add(digest);
    return byDigest.get(digest);
  };
  const walk = (value, path, parent) => {
    if (Array.isArray(value)) {
      const out = [];
      for (const element of value) {
        const isRef = element && typeof element === "object" && !Array.isArray(element) && Object.keys(element).length === 1 && "..." in element;
        if (!isRef) {
          out.push(walk(element, [...path, out.length], parent));
          continue;
        }
        const disclosure = take(element["..."]);
        if (disclosure === null) continue; // an undisclosed or decoy element
        if (disclosure.name !== null) throw malformed("An array element disclosure has a name.");
        Object.assign(disclosure, { path: [...path, out.length], parent });
        out.push(walk(disclosure.value, disclosure.path, disclosure));
      }
      return out;
    }
    if (value === null || typeof value !== "object") return value;
    const out = {};
    for (const [key, child] of Object.entries(value)) {
      if (key !== "_sd" && key !== "_sd_alg") out[key] = walk(child, [...path, key], parent);
    }
    for (const digest of Array.isArray(value._sd) ? value._sd : []) {
      const disclosure = take(digest);
      if (disclosure === null) continue;
      if (disclosure.name === null || disclosure.name in out) throw malformed("An object disclosure is invalid or overrides a claim.");
      Object.assign(disclosure, { path: [...path, disclosure.name], parent });
      out[disclosure.name] = walk(disclosure.value, disclosure.path, disclosure);
    }
    return out;
  };
  const claims = walk(payload, [], null);
  return { header, payload, claims, disclosures: [...byDigest.values()].filter((d) => d.path !== null), jwt };
}

/** Verify the issuer's signature with the key of the leaf certificate in its `x5c` header. */
export async function verifyIssuerSignature(jwt) {
  const { header } = parseJws(jwt);
  if (!Array.isArray(header.x5c) || !header.x5c.length) throw malformed("The credential carries no issuer certificate.");
  const leaf = parseCertificate(b64Decode(header.x5c[0]));
  await verifyJws(jwt, await certificateKey(leaf), { typ: "dc+sd-jwt" });
  return leaf;
}

function matches(pattern, path) {
  // `null` in a DCQL claims path selects every array element (OpenID4VP 1.0 Section 7).
  const n = Math.min(pattern.length, path.length);
  for (let i = 0; i < n; i++) if (pattern[i] !== null && pattern[i] !== path[i]) return false;
  return true;
}

/** The disclosures needed to reveal every claim at `paths`: ancestors, the claims, their contents. */
export function selectDisclosures(decoded, paths) {
  const chosen = new Set();
  for (const d of decoded.disclosures) {
    if (paths.some((p) => matches(p, d.path))) {
      for (let node = d; node; node = node.parent) chosen.add(node);
    }
  }
  return decoded.disclosures.filter((d) => chosen.has(d)).map((d) => d.text);
}

/** A presentation of `decoded` revealing `paths`, bound to `nonce`/`aud` with a KB-JWT. */
export async function present(decoded, paths, { nonce, aud, key, iat }) {
  const chosen = selectDisclosures(decoded, paths);
  const body = `${decoded.jwt}~${chosen.map((d) => `${d}~`).join("")}`;
  const sdHash = b64uEncode(await sha256(body));
  const kb = await signJws({ typ: "kb+jwt" }, { iat, aud, nonce, sd_hash: sdHash }, key);
  return { presentation: body + kb, disclosed: chosen };
}

/** Value at a claims path in processed claims; `undefined` when absent. */
export function claimAt(claims, path) {
  let values = [claims];
  for (const step of path) {
    const next = [];
    for (const v of values) {
      if (step === null && Array.isArray(v)) next.push(...v);
      else if (typeof step === "number" && Array.isArray(v) && step < v.length) next.push(v[step]);
      else if (typeof step === "string" && v && typeof v === "object" && !Array.isArray(v) && step in v) next.push(v[step]);
    }
    values = next;
  }
  if (!values.length) return undefined;
  return path.includes(null) ? values : values[0];
}
