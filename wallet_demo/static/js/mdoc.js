// ISO mdocs (ISO/IEC 18013-5:2021) in the wallet, through the `cborg` CBOR library:
//
// * receive (OpenID4VCI 1.0 Appendix A.2.4): the Credential Response's `credential` is the
//   base64url IssuerSigned. The wallet checks what it can without the national roots (those are
//   the verifier's and the registry's): the issuerAuth COSE_Sign1 (RFC 9052 Section 4.4, ES256)
//   under the x5chain leaf key, the MSO's docType against the configuration, its validity window
//   (18013-5 Section 9.1.2.4), the device key against this wallet's holder key, and the digest of
//   every IssuerSignedItemBytes against the MSO's valueDigests (Section 9.3.1 steps 5, 6).
// * present (OpenID4VP 1.0 Appendix B.2): a DeviceResponse (18013-5 Section 8.3.2.1.2.2) with only
//   the disclosed IssuerSignedItems (their original tag-24 bytes, unchanged), an empty
//   DeviceNameSpaces and a deviceSignature (Section 9.1.3.6: COSE_Sign1, detached payload
//   DeviceAuthenticationBytes, Section 9.1.3.4) over the SessionTranscript of Appendix B.2.6.1.
import { Tagged, decode, encode } from "cborg";
import { calculateJwkThumbprint } from "jose";
import { certificateKey, parseCertificate } from "./x509.js";
import { WalletError, b64uDecode, b64uEncode, equalBytes } from "./util.js";

export const MDOC_FORMAT = "mso_mdoc";
const TAG_TDATE = 0;
const TAG_COSE_SIGN1 = 18;
const TAG_EMBEDDED = 24;
const TAG_FULL_DATE = 1004;
const COSE_ES256 = -7;
const X5CHAIN = 33;
const DIGESTS = { "SHA-256": "SHA-256", "SHA-384": "SHA-384", "SHA-512": "SHA-512" };
const MAX_BYTES = 1024 * 1024;
// Closed decoding: definite lengths, minimal encodings, no duplicate keys, only 18013-5's tags
// (cborg refuses any tag without a decoder here). Maps stay Maps: COSE labels are integers.
const DECODE_OPTIONS = {
  useMaps: true, rejectDuplicateMapKeys: true, allowIndefinite: false, allowUndefined: false, strict: true,
  tags: Tagged.preserve(TAG_TDATE, TAG_COSE_SIGN1, TAG_EMBEDDED, TAG_FULL_DATE),
};

const refuse = (message) => new WalletError("bad_credential", message);

/** Decode one CBOR item under the closed options; a refusal names `what`. */
export function cborDecode(bytes, what) {
  if (!(bytes instanceof Uint8Array) || bytes.length > MAX_BYTES) throw refuse(`The ${what} is too large or not bytes.`);
  try {
    return decode(bytes, DECODE_OPTIONS);
  } catch {
    throw refuse(`The ${what} is not valid CBOR.`);
  }
}

function unembed(item, what) {
  if (!(item instanceof Tagged) || item.tag !== TAG_EMBEDDED || !(item.value instanceof Uint8Array)) throw refuse(`The ${what} is not embedded CBOR.`);
  return cborDecode(item.value, what);
}

const isMap = (v) => v instanceof Map;

/** A CBOR value as the wallet stores and shows it: Maps as objects, dates as ISO text, bytes as base64url. */
export function plain(value) {
  if (value instanceof Tagged) return value.tag === TAG_TDATE || value.tag === TAG_FULL_DATE ? String(value.value) : plain(value.value);
  if (value instanceof Uint8Array) return b64uEncode(value);
  if (Array.isArray(value)) return value.map(plain);
  if (isMap(value)) return Object.fromEntries([...value].map(([k, v]) => [String(k), plain(v)]));
  if (typeof value === "bigint") return Number(value);
  return value;
}

function parseSign1(raw) {
  const value = raw instanceof Tagged && raw.tag === TAG_COSE_SIGN1 ? raw.value : raw;
  if (!Array.isArray(value) || value.length !== 4) throw refuse("The issuer's signature (issuerAuth) is malformed.");
  const [protectedBytes, unprotected, payload, signature] = value;
  if (!(protectedBytes instanceof Uint8Array) || !isMap(unprotected) || !(payload instanceof Uint8Array) || !(signature instanceof Uint8Array)) {
    throw refuse("The issuer's signature (issuerAuth) is malformed.");
  }
  const header = protectedBytes.length ? cborDecode(protectedBytes, "issuerAuth header") : new Map();
  if (!isMap(header) || header.get(1) !== COSE_ES256 || header.has(2)) throw refuse("The issuer's signature algorithm is not accepted (ES256 only).");
  const chain = unprotected.get(X5CHAIN);
  const certificates = chain instanceof Uint8Array ? [chain] : chain;
  if (!Array.isArray(certificates) || !certificates.length || !certificates.every((c) => c instanceof Uint8Array)) {
    throw refuse("The issuer's signature carries no certificate.");
  }
  return { protectedBytes, payload, signature, certificates };
}

/** RFC 9052 Section 4.4 Sig_structure for a COSE_Sign1 with an empty external_aad. */
function sigStructure(protectedBytes, payload) {
  return encode(["Signature1", protectedBytes, new Uint8Array(0), payload]);
}

async function digest(algorithm, bytes) {
  return new Uint8Array(await crypto.subtle.digest(DIGESTS[algorithm], bytes));
}

function tdate(value, what) {
  const time = value instanceof Tagged && value.tag === TAG_TDATE ? Date.parse(value.value) : NaN;
  if (!Number.isFinite(time)) throw refuse(`The credential's ${what} is not a date.`);
  return time;
}

function readItems(nameSpaces) {
  const items = [];
  if (nameSpaces === undefined) return items;
  if (!isMap(nameSpaces)) throw refuse("The credential's elements are malformed.");
  for (const [namespace, list] of nameSpaces) {
    if (typeof namespace !== "string" || !Array.isArray(list) || !list.length) throw refuse("The credential's elements are malformed.");
    for (const raw of list) {
      const item = unembed(raw, "credential element");
      if (!isMap(item) || !Number.isInteger(item.get("digestID")) || typeof item.get("elementIdentifier") !== "string" || !item.has("elementValue")) {
        throw refuse("A credential element is malformed.");
      }
      items.push({ namespace, digestId: item.get("digestID"), element: item.get("elementIdentifier"), value: item.get("elementValue"), raw });
    }
  }
  return items;
}

/** Decode a base64url IssuerSigned: its items, the issuerAuth parts and the (not yet trusted) MSO. */
export function readIssuerSigned(raw) {
  let bytes;
  try {
    bytes = b64uDecode(raw);
  } catch {
    throw refuse("The issuer answered with a credential that is not base64url.");
  }
  const issuerSigned = cborDecode(bytes, "credential");
  if (!isMap(issuerSigned) || !issuerSigned.has("issuerAuth")) throw refuse("The credential is not an mdoc IssuerSigned.");
  const auth = parseSign1(issuerSigned.get("issuerAuth"));
  const mso = unembed(cborDecode(auth.payload, "security object"), "security object");
  if (!isMap(mso)) throw refuse("The credential's security object is malformed.");
  return { issuerSigned, items: readItems(issuerSigned.get("nameSpaces")), auth, mso };
}

async function checkSignature(auth) {
  let key;
  try {
    key = await certificateKey(parseCertificate(auth.certificates[0]));
  } catch {
    throw refuse("The issuer's certificate cannot be read or holds no P-256 key.");
  }
  const ok = await crypto.subtle.verify({ name: "ECDSA", hash: "SHA-256" }, key, auth.signature, sigStructure(auth.protectedBytes, auth.payload));
  if (!ok) throw refuse("The issuer's signature on the credential does not verify.");
}

function checkDeviceKey(mso, holderJwk) {
  const key = mso.get("deviceKeyInfo")?.get?.("deviceKey");
  const x = key?.get?.(-2);
  const y = key?.get?.(-3);
  if (!isMap(key) || key.get(1) !== 2 || key.get(-1) !== 1 || !(x instanceof Uint8Array) || !(y instanceof Uint8Array)) {
    throw refuse("The credential's device key is not a P-256 key.");
  }
  if (!equalBytes(x, b64uDecode(holderJwk.x)) || !equalBytes(y, b64uDecode(holderJwk.y))) throw refuse("The credential is not bound to this wallet's key.");
}

async function checkDigests(mso, items) {
  const algorithm = mso.get("digestAlgorithm");
  const digests = mso.get("valueDigests");
  if (!(algorithm in DIGESTS) || !isMap(digests)) throw refuse("The credential's security object names no known digest algorithm.");
  for (const item of items) {
    const expected = digests.get(item.namespace)?.get?.(item.digestId);
    const actual = await digest(algorithm, encode(item.raw));
    if (!(expected instanceof Uint8Array) || !equalBytes(actual, expected)) {
      throw new WalletError("digest_mismatch", `The element ${item.element} does not match its digest in the issuer's signature: the credential was altered.`);
    }
  }
}

/**
 * Check a received IssuerSigned (see the file comment) and return what the wallet stores:
 * {doctype, claims: {namespace: {element: value}}, validFrom, validUntil, status, x5c}.
 */
export async function checkIssuerSigned(raw, { doctype, holderJwk, now = Date.now() }) {
  const { items, auth, mso } = readIssuerSigned(raw);
  await checkSignature(auth);
  if (mso.get("docType") !== doctype) throw refuse(`The credential is a ${String(mso.get("docType"))}, not the ${doctype} that was asked for.`);
  const validity = mso.get("validityInfo");
  if (!isMap(validity)) throw refuse("The credential has no validity period.");
  const validFrom = tdate(validity.get("validFrom"), "start of validity");
  const validUntil = tdate(validity.get("validUntil"), "end of validity");
  const skew = 60 * 1000;
  if (validFrom > now + skew) throw refuse("The credential is not valid yet.");
  if (validUntil <= now - skew) throw refuse("The credential has already expired.");
  checkDeviceKey(mso, holderJwk);
  await checkDigests(mso, items);
  const claims = {};
  for (const item of items) (claims[item.namespace] ||= {})[item.element] = plain(item.value);
  const status = mso.has("status") ? plain(mso.get("status")) : null;
  const x5c = auth.certificates.map((der) => btoa(String.fromCharCode(...der)));
  return { doctype, claims, validFrom, validUntil, status, x5c };
}

/**
 * The SessionTranscript of a redirect-invoked OpenID4VP request (OpenID4VP 1.0 Appendix B.2.6.1):
 * [null, null, ["OpenID4VPHandover", sha-256(cbor([client_id, nonce, jwkThumbprint / null, response_uri]))]],
 * the thumbprint (RFC 7638, raw bytes) of the verifier's encryption key for `direct_post.jwt`.
 */
export async function sessionTranscript({ clientId, nonce, responseUri, encryptionJwk = null }) {
  const info = encode([clientId, nonce, await thumbprint(encryptionJwk), responseUri]);
  return [null, null, ["OpenID4VPHandover", await digest("SHA-256", info)]];
}

/**
 * The SessionTranscript over the Digital Credentials API (OpenID4VP 1.0 Appendix B.2.6.2):
 * [null, null, ["OpenID4VPDCAPIHandover", sha-256(cbor([origin, nonce, jwkThumbprint / null]))]],
 * `origin` without an `origin:` prefix, the thumbprint for `dc_api.jwt`.
 */
export async function dcApiSessionTranscript({ origin, nonce, encryptionJwk = null }) {
  if (String(origin).startsWith("origin:")) throw new WalletError("bad_request", "The origin must not carry an origin: prefix.");
  const info = encode([origin, nonce, await thumbprint(encryptionJwk)]);
  return [null, null, ["OpenID4VPDCAPIHandover", await digest("SHA-256", info)]];
}

/** The raw RFC 7638 SHA-256 thumbprint of a public EC key, or null without one. */
async function thumbprint(jwk) {
  if (!jwk) return null;
  return b64uDecode(await calculateJwkThumbprint({ kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y }, "sha256"));
}

function disclosedNameSpaces(issuerSigned, paths) {
  const wanted = new Set(paths.map((p) => JSON.stringify(p)));
  const found = new Set();
  const out = new Map();
  for (const item of readItems(issuerSigned.get("nameSpaces"))) {
    const key = JSON.stringify([item.namespace, item.element]);
    if (!wanted.has(key)) continue;
    found.add(key);
    if (!out.has(item.namespace)) out.set(item.namespace, []);
    out.get(item.namespace).push(item.raw); // the issuer's tag-24 bytes, as signed
  }
  const missing = [...wanted].filter((k) => !found.has(k));
  if (missing.length) throw new WalletError("incomplete", `The credential does not hold ${missing.join(", ")}.`);
  return out;
}

/**
 * A base64url DeviceResponse presenting the elements at `paths` ([namespace, element]) of a stored
 * mdoc, signed by the holder key over `transcript` (from {@link sessionTranscript}).
 */
export async function deviceResponse(credential, paths, privateKey, transcript) {
  const issuerSigned = cborDecode(b64uDecode(credential.raw), "credential");
  const doctype = credential.doctype;
  const nameSpaces = disclosedNameSpaces(issuerSigned, paths);
  const deviceNameSpaces = encode(new Map());
  const authentication = encode(["DeviceAuthentication", transcript, doctype, new Tagged(TAG_EMBEDDED, deviceNameSpaces)]);
  const payload = encode(new Tagged(TAG_EMBEDDED, authentication));
  const protectedBytes = encode(new Map([[1, COSE_ES256]]));
  // WebCrypto's ECDSA signature is r || s, the COSE form (RFC 9053 Section 2.1).
  const signature = new Uint8Array(await crypto.subtle.sign({ name: "ECDSA", hash: "SHA-256" }, privateKey, sigStructure(protectedBytes, payload)));
  const disclosed = new Map(nameSpaces.size ? [["nameSpaces", nameSpaces]] : []);
  disclosed.set("issuerAuth", issuerSigned.get("issuerAuth"));
  const document = new Map([
    ["docType", doctype],
    ["issuerSigned", disclosed],
    ["deviceSigned", new Map([
      ["nameSpaces", new Tagged(TAG_EMBEDDED, deviceNameSpaces)],
      ["deviceAuth", new Map([["deviceSignature", [protectedBytes, new Map(), null, signature]]])],
    ])],
  ]);
  return b64uEncode(encode(new Map([["version", "1.0"], ["documents", [document]], ["status", 0]])));
}

/** Type metadata for an mdoc card and consent, from the issuer's configuration (claims by [namespace, element]). */
export function mdocTypeMetadata(configuration) {
  const meta = configuration?.credential_metadata || {};
  return { display: meta.display || configuration?.display || [], claims: meta.claims || [] };
}
