// Checking the certificate of a signed Request Object (OpenID4VP 1.0 Section 5.9.3; HAIP
// Section 5): an `x5c` chain (leaf first, trust anchor not included) that ends at a pinned
// relying-party CA, every signature ECDSA P-256 with SHA-256, every certificate in its validity
// window, and the Client Identifier bound to the leaf: `x509_san_dns` -> a dNSName SAN equal to
// the identifier (and the response_uri host); `x509_hash` -> base64url SHA-256 of the leaf DER.
import { OIDS, derSignatureToRaw, parseCertificate } from "./der.js";
import { importVerifySpki } from "./jose.js";
import { WalletError, b64Decode, b64uEncode, equalBytes, sha256 } from "./util.js";

const MAX_CHAIN = 5;

function refuse(message) {
  return new WalletError("bad_certificate", message);
}

async function signedBy(cert, issuer) {
  if (!equalBytes(cert.issuer.raw, issuer.subject.raw)) return false;
  if (cert.signatureAlgorithm !== OIDS.ecdsaSha256) throw refuse("The certificate is not signed with ECDSA SHA-256.");
  if (issuer.keyAlgorithm !== OIDS.ecPublicKey || issuer.curve !== OIDS.p256) return false;
  const key = await importVerifySpki(issuer.spki);
  return crypto.subtle.verify({ name: "ECDSA", hash: "SHA-256" }, key, derSignatureToRaw(cert.signature), cert.tbs);
}

function checkTime(cert, now, what) {
  if (now < cert.notBefore || now >= cert.notAfter) throw refuse(`The ${what} certificate is not valid now.`);
}

/** Validate `x5c` (standard base64 DER, leaf first) against `anchors` (same form); return the parsed leaf. */
export async function validateChain(x5c, anchors, now) {
  if (!Array.isArray(x5c) || x5c.length === 0 || x5c.length > MAX_CHAIN) throw refuse("The request has no usable certificate chain.");
  if (!anchors.length) throw refuse("This wallet trusts no relying-party CA.");
  const chain = x5c.map((c) => parseCertificate(b64Decode(c)));
  const roots = anchors.map((a) => parseCertificate(b64Decode(a)));
  const leaf = chain[0];
  if (equalBytes(leaf.issuer.raw, leaf.subject.raw)) throw refuse("The request is signed with a self-signed certificate.");
  if (leaf.keyAlgorithm !== OIDS.ecPublicKey || leaf.curve !== OIDS.p256) throw refuse("The request signer is not a P-256 key.");
  checkTime(leaf, now, "request signer");
  for (let i = 1; i < chain.length; i++) {
    if (!chain[i].isCA) throw refuse("An intermediate certificate is not a CA.");
    checkTime(chain[i], now, "intermediate");
    if (!(await signedBy(chain[i - 1], chain[i]))) throw refuse("The certificate chain is broken.");
  }
  const last = chain[chain.length - 1];
  for (const root of roots) {
    if (root.isCA && now >= root.notBefore && now < root.notAfter && (await signedBy(last, root))) return leaf;
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
