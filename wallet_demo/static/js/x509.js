// X.509 for the wallet (RFC 5280) through pkijs + asn1js (served from the npm lock): parsing the
// certificates in an `x5c` header and validating the chain to pinned trust anchors with pkijs'
// CertificateChainValidationEngine (path building, signatures, validity, CA constraints, name
// constraints). On top, the profile the wallet accepts (OpenID4VP 1.0 Section 5.9.3; HAIP
// Section 5): at most 5 certificates, leaf first, every signature ECDSA P-256 with SHA-256, no
// self-signed leaf, no unknown critical extension, and the Client Identifier bound to the leaf:
// `x509_san_dns` -> a dNSName SAN equal to the identifier (and the response_uri host);
// `x509_hash` -> base64url SHA-256 of the leaf DER.
// Anchors are base64 DER strings (national roots for issuers; the development fallback) or, for
// relying parties, the registry-listed access CAs `{certificate, countries}` that the wallet demo
// server takes from the registry's signed list (issue #14 item 3, wallet_demo/rp_trust.py): the
// chain must end at one of them, and the returned leaf carries that anchor's `countries` so the
// consent screen can name who vouches for the relying party (rpinfo.js judges the country).
import { fromBER } from "asn1js";
import { Certificate, CertificateChainValidationEngine } from "pkijs";
import { WalletError, b64Decode, b64uEncode, sha256 } from "./util.js";

const OID = {
  ecPublicKey: "1.2.840.10045.2.1", p256: "1.2.840.10045.3.1.7", ecdsaSha256: "1.2.840.10045.4.3.2",
  commonName: "2.5.4.3", country: "2.5.4.6", organization: "2.5.4.10",
  subjectAltName: "2.5.29.17", basicConstraints: "2.5.29.19", keyUsage: "2.5.29.15", extKeyUsage: "2.5.29.37",
};
const KNOWN_CRITICAL = new Set([OID.subjectAltName, OID.basicConstraints, OID.keyUsage, OID.extKeyUsage]);
const MAX_CHAIN = 5;
const GENERAL_NAME = { dNSName: 2, uniformResourceIdentifier: 6 }; // RFC 5280 Section 4.2.1.6

function refuse(message) {
  return new WalletError("bad_certificate", message);
}

function names(rdns) {
  const out = {};
  for (const tv of rdns.typesAndValues) out[tv.type] = String(tv.value.valueBlock.value);
  return { commonName: out[OID.commonName] || "", country: out[OID.country] || "", organization: out[OID.organization] || "" };
}

/** Parse one DER certificate into the fields the wallet reads; `cert` is the pkijs object. */
export function parseCertificate(der) {
  const asn1 = fromBER(der);
  if (asn1.offset === -1 || asn1.offset !== der.byteLength) throw refuse("The certificate is malformed.");
  let cert;
  try {
    cert = new Certificate({ schema: asn1.result });
  } catch {
    throw refuse("The certificate is malformed.");
  }
  const parsed = { der, cert, subject: names(cert.subject), notBefore: cert.notBefore.value.getTime() / 1000,
    notAfter: cert.notAfter.value.getTime() / 1000, dnsNames: [], uris: [], isCA: false };
  for (const ext of cert.extensions || []) {
    if (ext.critical && !KNOWN_CRITICAL.has(ext.extnID)) throw refuse("The certificate has an unknown critical extension.");
    if (ext.extnID === OID.subjectAltName) {
      for (const gn of ext.parsedValue?.altNames || []) {
        if (gn.type === GENERAL_NAME.dNSName) parsed.dnsNames.push(gn.value);
        if (gn.type === GENERAL_NAME.uniformResourceIdentifier) parsed.uris.push(gn.value);
      }
    } else if (ext.extnID === OID.basicConstraints) {
      parsed.isCA = ext.parsedValue?.cA === true;
    }
  }
  return parsed;
}

function isP256(parsed) {
  const alg = parsed.cert.subjectPublicKeyInfo.algorithm;
  return alg.algorithmId === OID.ecPublicKey && alg.algorithmParams?.getValue?.() === OID.p256;
}

/** The certificate's P-256 public key as a WebCrypto verification key. */
export async function certificateKey(parsed) {
  if (!isP256(parsed)) throw refuse("The certificate does not hold a P-256 key.");
  const spki = parsed.cert.subjectPublicKeyInfo.toSchema().toBER(false);
  return crypto.subtle.importKey("spki", spki, { name: "ECDSA", namedCurve: "P-256" }, false, ["verify"]);
}

function checkTime(cert, now, what) {
  if (now < cert.notBefore || now >= cert.notAfter) throw refuse(`The ${what} certificate is not valid now.`);
}

function checkProfile(chain, now) {
  const leaf = chain[0];
  if (leaf.cert.issuer.isEqual(leaf.cert.subject)) throw refuse("The request is signed with a self-signed certificate.");
  if (!isP256(leaf)) throw refuse("The request signer is not a P-256 key.");
  checkTime(leaf, now, "request signer");
  for (const [i, c] of chain.entries()) {
    if (c.cert.signatureAlgorithm.algorithmId !== OID.ecdsaSha256) throw refuse("The certificate is not signed with ECDSA SHA-256.");
    if (i > 0 && !c.isCA) throw refuse("An intermediate certificate is not a CA.");
    if (i > 0) checkTime(c, now, "intermediate");
  }
}

/** `anchors` as [{root, countries}]: valid CA certificates only, countries as listed (none for a plain string). */
function trustedRoots(anchors, now) {
  return anchors.map((a) => {
    const listed = typeof a === "string" ? { certificate: a, countries: [] } : a;
    const countries = Array.isArray(listed?.countries) ? listed.countries.filter((c) => /^[A-Z]{2}$/.test(c)) : [];
    return { root: parseCertificate(b64Decode(String(listed?.certificate ?? ""))), countries };
  }).filter(({ root }) => root.isCA && now >= root.notBefore && now < root.notAfter);
}

/**
 * Validate `x5c` (standard base64 DER, leaf first) against `anchors`; return the parsed leaf with
 * `anchor: {countries}`, the anchor its chain ends at. Each candidate root (named as the issuer of
 * the chain's top certificate) is tried on its own, so the wallet knows which one vouches.
 */
export async function validateChain(x5c, anchors, now) {
  if (!Array.isArray(x5c) || x5c.length === 0 || x5c.length > MAX_CHAIN) throw refuse("The request has no usable certificate chain.");
  if (!Array.isArray(anchors) || !anchors.length) throw refuse("This wallet trusts no relying-party CA.");
  const chain = x5c.map((c) => parseCertificate(b64Decode(c)));
  checkProfile(chain, now);
  const top = chain[chain.length - 1].cert;
  for (const { root, countries } of trustedRoots(anchors, now).filter(({ root }) => top.issuer.isEqual(root.cert.subject))) {
    // pkijs takes the end-entity certificate as the last of `certs`.
    const engine = new CertificateChainValidationEngine({
      trustedCerts: [root.cert], certs: [...chain.slice(1), chain[0]].map((c) => c.cert), checkDate: new Date(now * 1000),
    });
    if ((await engine.verify()).result) return Object.assign(chain[0], { anchor: { countries } });
  }
  throw refuse("The request is not signed under a relying-party CA this wallet trusts.");
}

/** Check that `clientId` (with its prefix) names `leaf`; refuses every other prefix. */
export async function checkClientId(clientId, leaf, responseUri) {
  const colon = clientId.indexOf(":");
  const prefix = colon > 0 ? clientId.slice(0, colon) : "";
  const value = clientId.slice(colon + 1);
  if (prefix === "x509_san_dns") {
    if (!leaf.dnsNames.includes(value)) throw new WalletError("bad_client_id", "The client identifier is not a DNS name of the request's certificate.");
    let host = "";
    try {
      host = new URL(responseUri).hostname;
    } catch {
      host = "";
    }
    if (host !== value) throw new WalletError("bad_client_id", "The response address does not belong to the client identifier.");
    return;
  }
  if (prefix === "x509_hash") {
    if (b64uEncode(await sha256(leaf.der)) !== value) throw new WalletError("bad_client_id", "The client identifier does not match the request's certificate.");
    return;
  }
  throw new WalletError("bad_client_id", "Only signed requests (x509_san_dns or x509_hash client identifiers) are accepted.");
}
