// Compact JWS with ES256 only (RFC 7515; RFC 7518 Section 3.4), through panva's `jose` library
// (served from the npm lock, see wallet_demo/package.json). The algorithm is never taken from the
// token: callers name the expected `typ`, the allow-list is ES256, so `alg: none` never passes;
// `jose` refuses unknown `crit` headers (RFC 7515 Section 4.1.11) and any other serialisation.
import { CompactSign, compactVerify, decodeJwt, decodeProtectedHeader, errors, importJWK } from "jose";
import { WalletError, dec, enc } from "./util.js";

const ALGS = ["ES256"];

/** Header and payload of a compact JWS, unverified (callers verify before trusting either). */
export function parseJws(token) {
  if (typeof token !== "string" || token.split(".").length !== 3) throw new WalletError("malformed", "A token is not a compact JWS.");
  try {
    return { header: decodeProtectedHeader(token), payload: decodeJwt(token) };
  } catch {
    throw new WalletError("malformed", "A token header or payload is not a JSON object.");
  }
}

/** Verify `token` with `key` (CryptoKey); returns {header, payload} or throws. */
export async function verifyJws(token, key, { typ = null } = {}) {
  const { header } = parseJws(token);
  if (!ALGS.includes(header.alg)) throw new WalletError("bad_signature", `Signature algorithm ${header.alg} is not accepted.`);
  if (typ !== null && header.typ !== typ) throw new WalletError("bad_type", `Expected a ${typ} token.`);
  // No profile here uses critical extensions; `jose` would honour `b64` (RFC 7797), we want none.
  if ("crit" in header) throw new WalletError("bad_signature", "Unsupported critical header.");
  let verified;
  try {
    verified = await compactVerify(token, key, { algorithms: ALGS });
  } catch (err) {
    if (err instanceof errors.JOSEError) throw new WalletError("bad_signature", "The signature does not verify.");
    throw err;
  }
  return { header: verified.protectedHeader, payload: JSON.parse(dec.decode(verified.payload)) };
}

/** Sign with a P-256 private CryptoKey (non-extractable keys sign as well); `alg` is always ES256. */
export async function signJws(header, payload, privateKey) {
  return new CompactSign(enc.encode(JSON.stringify(payload))).setProtectedHeader({ ...header, alg: "ES256" }).sign(privateKey);
}

/** A public P-256 JWK as a verification key; private or other keys are refused. */
export async function importVerifyJwk(jwk) {
  if (!jwk || jwk.kty !== "EC" || jwk.crv !== "P-256" || "d" in jwk) throw new WalletError("bad_key", "Expected a public EC P-256 key.");
  return importJWK({ kty: "EC", crv: "P-256", x: jwk.x, y: jwk.y }, "ES256");
}
