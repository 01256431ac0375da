// Encrypting a `direct_post.jwt` response (OpenID4VP 1.0 Section 8.3; HAIP Section 5): compact
// JWE (RFC 7516 Section 7.1) with ECDH-ES direct key agreement on P-256 (RFC 7518 Section 4.6;
// Concat KDF of NIST SP 800-56A with SHA-256, AlgorithmID = `enc`) and AES-GCM (A128GCM or
// A256GCM, RFC 7518 Section 5.3; the AAD is the encoded protected header).
import { WalletError, b64uEncode, b64uJson, concat, enc } from "./util.js";

const KEY_BITS = { A128GCM: 128, A256GCM: 256 };

function u32(n) {
  return new Uint8Array([(n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255]);
}

function lengthPrefixed(bytes) {
  return concat(u32(bytes.length), bytes);
}

/** Concat KDF (one SHA-256 round suffices for keys up to 256 bits). */
export async function concatKdf(shared, encName, apu = new Uint8Array(), apv = new Uint8Array()) {
  const bits = KEY_BITS[encName];
  const otherInfo = concat(lengthPrefixed(enc.encode(encName)), lengthPrefixed(apu), lengthPrefixed(apv), u32(bits));
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", concat(u32(1), shared, otherInfo)));
  return digest.slice(0, bits / 8);
}

/** Pick the verifier's encryption key and `enc` from its client_metadata. */
export function encryptionParams(clientMetadata) {
  const keys = clientMetadata?.jwks?.keys;
  const key = Array.isArray(keys) ? keys.find((k) => k.kty === "EC" && k.crv === "P-256" && (!k.use || k.use === "enc") && (!k.alg || k.alg === "ECDH-ES")) : null;
  if (!key) throw new WalletError("bad_request", "The verifier offers no P-256 ECDH-ES key for an encrypted response.");
  const offered = clientMetadata.encrypted_response_enc_values_supported || ["A128GCM"];
  const encName = offered.find((e) => e in KEY_BITS);
  if (!encName) throw new WalletError("bad_request", "The verifier offers no supported content encryption.");
  return { key, encName };
}

/** Encrypt `payload` (an object) to `recipientJwk`. */
export async function encryptJwe(payload, recipientJwk, encName) {
  const recipient = await crypto.subtle.importKey("jwk", { kty: "EC", crv: "P-256", x: recipientJwk.x, y: recipientJwk.y }, { name: "ECDH", namedCurve: "P-256" }, false, []);
  const ephemeral = await crypto.subtle.generateKey({ name: "ECDH", namedCurve: "P-256" }, false, ["deriveBits"]);
  const shared = new Uint8Array(await crypto.subtle.deriveBits({ name: "ECDH", public: recipient }, ephemeral.privateKey, 256));
  const epk = await crypto.subtle.exportKey("jwk", ephemeral.publicKey);
  const header = { alg: "ECDH-ES", enc: encName, epk: { kty: "EC", crv: "P-256", x: epk.x, y: epk.y } };
  if (recipientJwk.kid) header.kid = recipientJwk.kid;
  const protectedHeader = b64uJson(header);
  const cek = await crypto.subtle.importKey("raw", await concatKdf(shared, encName), "AES-GCM", false, ["encrypt"]);
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const sealed = new Uint8Array(await crypto.subtle.encrypt({ name: "AES-GCM", iv, additionalData: enc.encode(protectedHeader), tagLength: 128 }, cek, enc.encode(JSON.stringify(payload))));
  const ciphertext = sealed.subarray(0, sealed.length - 16);
  const tag = sealed.subarray(sealed.length - 16);
  return `${protectedHeader}..${b64uEncode(iv)}.${b64uEncode(ciphertext)}.${b64uEncode(tag)}`;
}
