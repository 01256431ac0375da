// Compact JWS with ES256 only (RFC 7515; RFC 7518 Section 3.4: the signature is raw r||s,
// which is what WebCrypto ECDSA produces and expects). The algorithm is never taken from the
// token: callers name the allowed algorithms and the expected `typ`; `alg: none` never passes.
import { WalletError, b64uDecode, b64uEncode, b64uJson, enc, jsonFromB64u } from "./util.js";

const ECDSA = { name: "ECDSA", hash: "SHA-256" };

export function parseJws(token) {
  if (typeof token !== "string") throw new WalletError("malformed", "A token is not a string.");
  const parts = token.split(".");
  if (parts.length !== 3) throw new WalletError("malformed", "A token is not a compact JWS.");
  const header = jsonFromB64u(parts[0]);
  const payload = jsonFromB64u(parts[1]);
  if (!header || typeof header !== "object" || !payload || typeof payload !== "object") {
    throw new WalletError("malformed", "A token header or payload is not a JSON object.");
  }
  return { header, payload, signingInput: enc.encode(`${parts[0]}.${parts[1]}`), signature: b64uDecode(parts[2]) };
}

/** Verify `token` with `key` (CryptoKey); returns {header, payload} or throws. */
export async function verifyJws(token, key, { algs = ["ES256"], typ = null } = {}) {
  const jws = parseJws(token);
  if (!algs.includes(jws.header.alg) || jws.header.alg !== "ES256") {
    throw new WalletError("bad_signature", `Signature algorithm ${jws.header.alg} is not accepted.`);
  }
  if (typ !== null && jws.header.typ !== typ) throw new WalletError("bad_type", `Expected a ${typ} token.`);
  if (Array.isArray(jws.header.crit)) throw new WalletError("bad_signature", "Unsupported critical header.");
  const ok = jws.signature.length === 64 && (await crypto.subtle.verify(ECDSA, key, jws.signature, jws.signingInput));
  if (!ok) throw new WalletError("bad_signature", "The signature does not verify.");
  return { header: jws.header, payload: jws.payload };
}

/** Sign with a P-256 private CryptoKey; `alg` is always ES256. */
export async function signJws(header, payload, privateKey) {
  const input = `${b64uJson({ ...header, alg: "ES256" })}.${b64uJson(payload)}`;
  const signature = await crypto.subtle.sign(ECDSA, privateKey, enc.encode(input));
  return `${input}.${b64uEncode(new Uint8Array(signature))}`;
}

export async function importVerifyJwk(jwk) {
  if (!jwk || jwk.kty !== "EC" || jwk.crv !== "P-256" || "d" in jwk) {
    throw new WalletError("bad_key", "Expected a public EC P-256 key.");
  }
  return crypto.subtle.importKey("jwk", { kty: "EC", crv: "P-256", x: jwk.x, y: jwk.y }, { name: "ECDSA", namedCurve: "P-256" }, false, ["verify"]);
}

export async function importVerifySpki(spki) {
  return crypto.subtle.importKey("spki", spki, { name: "ECDSA", namedCurve: "P-256" }, false, ["verify"]);
}
