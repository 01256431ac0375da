// Encrypting a `direct_post.jwt` response (OpenID4VP 1.0 Section 8.3; HAIP Section 5): compact
// JWE (RFC 7516 Section 7.1) with ECDH-ES direct key agreement on P-256 (RFC 7518 Section 4.6)
// and AES-GCM (A128GCM or A256GCM, Section 5.3), through panva's `jose` library.
import { CompactEncrypt, importJWK } from "jose";
import { WalletError, enc } from "./util.js";

const ENCS = ["A128GCM", "A256GCM"];

/** Pick the verifier's encryption key and `enc` from its client_metadata. */
export function encryptionParams(clientMetadata) {
  const keys = clientMetadata?.jwks?.keys;
  const key = Array.isArray(keys) ? keys.find((k) => k.kty === "EC" && k.crv === "P-256" && (!k.use || k.use === "enc") && (!k.alg || k.alg === "ECDH-ES")) : null;
  if (!key) throw new WalletError("bad_request", "The verifier offers no P-256 ECDH-ES key for an encrypted response.");
  const offered = clientMetadata.encrypted_response_enc_values_supported || ["A128GCM"];
  const encName = Array.isArray(offered) ? offered.find((e) => ENCS.includes(e)) : undefined;
  if (!encName) throw new WalletError("bad_request", "The verifier offers no supported content encryption.");
  return { key, encName };
}

/** Encrypt `payload` (an object) to `recipientJwk` (public P-256 only). */
export async function encryptJwe(payload, recipientJwk, encName) {
  const recipient = await importJWK({ kty: "EC", crv: "P-256", x: recipientJwk.x, y: recipientJwk.y }, "ECDH-ES");
  const header = { alg: "ECDH-ES", enc: encName, ...(typeof recipientJwk.kid === "string" ? { kid: recipientJwk.kid } : {}) };
  return new CompactEncrypt(enc.encode(JSON.stringify(payload))).setProtectedHeader(header).encrypt(recipient);
}
