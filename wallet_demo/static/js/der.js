// A small DER reader and an X.509 certificate parser (ITU-T X.690; RFC 5280 Section 4.1).
// Only what the wallet needs to check request-object signers: names, validity, SAN, basic
// constraints, the P-256 public key and the ECDSA-with-SHA256 signature.
import { WalletError, dec } from "./util.js";

const OID = {
  ecPublicKey: "1.2.840.10045.2.1",
  p256: "1.2.840.10045.3.1.7",
  ecdsaSha256: "1.2.840.10045.4.3.2",
  commonName: "2.5.4.3",
  country: "2.5.4.6",
  organization: "2.5.4.10",
  subjectAltName: "2.5.29.17",
  basicConstraints: "2.5.29.19",
  keyUsage: "2.5.29.15",
  subjectKeyId: "2.5.29.14",
  authorityKeyId: "2.5.29.35",
  extKeyUsage: "2.5.29.37",
};
const KNOWN_CRITICAL = new Set([OID.subjectAltName, OID.basicConstraints, OID.keyUsage, OID.extKeyUsage]);

function bad(what) {
  return new WalletError("bad_certificate", `The certificate is malformed (${what}).`);
}

/** Read one TLV at `offset`: {tag, start, end, next} (content is bytes[start:end]). */
export function readTlv(bytes, offset = 0) {
  if (offset + 2 > bytes.length) throw bad("truncated");
  const tag = bytes[offset];
  if ((tag & 0x1f) === 0x1f) throw bad("multi-byte tag");
  let len = bytes[offset + 1];
  let start = offset + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 3 || start + n > bytes.length) throw bad("length");
    len = 0;
    for (let i = 0; i < n; i++) len = (len << 8) | bytes[start + i];
    if (len < 0x80 || (n > 1 && len < 1 << (8 * (n - 1)))) throw bad("non-minimal length");
    start += n;
  }
  const end = start + len;
  if (end > bytes.length) throw bad("truncated value");
  return { tag, hstart: offset, start, end, next: end };
}

/** The children of a constructed TLV. */
export function children(bytes, tlv) {
  const out = [];
  let offset = tlv.start;
  while (offset < tlv.end) {
    const child = readTlv(bytes, offset);
    if (child.end > tlv.end) throw bad("child overruns parent");
    out.push(child);
    offset = child.next;
  }
  return out;
}

function expect(tlv, tag, what) {
  if (tlv.tag !== tag) throw bad(what);
  return tlv;
}

function oid(bytes, tlv) {
  expect(tlv, 0x06, "OID");
  const body = bytes.subarray(tlv.start, tlv.end);
  if (body.length === 0) throw bad("empty OID");
  const parts = [Math.min(2, Math.floor(body[0] / 40)), body[0] - 40 * Math.min(2, Math.floor(body[0] / 40))];
  let value = 0;
  for (let i = 1; i < body.length; i++) {
    value = value * 128 + (body[i] & 0x7f);
    if (!(body[i] & 0x80)) {
      parts.push(value);
      value = 0;
    }
  }
  return parts.join(".");
}

function text(bytes, tlv) {
  return dec.decode(bytes.subarray(tlv.start, tlv.end));
}

function time(bytes, tlv) {
  const s = text(bytes, tlv);
  const m = tlv.tag === 0x17 ? /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(s) : /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(s);
  if (!m || (tlv.tag !== 0x17 && tlv.tag !== 0x18)) throw bad("time");
  let year = Number(m[1]);
  if (tlv.tag === 0x17) year += year < 50 ? 2000 : 1900; // RFC 5280 Section 4.1.2.5.1
  return Date.UTC(year, Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6])) / 1000;
}

function name(bytes, tlv) {
  expect(tlv, 0x30, "Name");
  const out = {};
  for (const rdn of children(bytes, tlv)) {
    for (const atv of children(bytes, expect(rdn, 0x31, "RDN"))) {
      const [type, value] = children(bytes, expect(atv, 0x30, "attribute"));
      out[oid(bytes, type)] = text(bytes, value);
    }
  }
  return {
    raw: bytes.slice(tlv.hstart, tlv.end),
    commonName: out[OID.commonName] || "",
    country: out[OID.country] || "",
    organization: out[OID.organization] || "",
  };
}

function tlvBytes(bytes, tlv) {
  return bytes.slice(tlv.hstart, tlv.end);
}

/** DER ECDSA-Sig-Value (SEQUENCE of two INTEGERs) -> raw r||s of `size` bytes each (for WebCrypto). */
export function derSignatureToRaw(sig, size = 32) {
  const seq = readTlv(sig, 0);
  if (seq.tag !== 0x30 || seq.end !== sig.length) throw bad("signature");
  const ints = children(sig, seq);
  if (ints.length !== 2) throw bad("signature");
  const out = new Uint8Array(2 * size);
  ints.forEach((t, i) => {
    expect(t, 0x02, "signature integer");
    let v = sig.subarray(t.start, t.end);
    while (v.length > size && v[0] === 0) v = v.subarray(1);
    if (v.length > size) throw bad("signature integer size");
    out.set(v, (i + 1) * size - v.length);
  });
  return out;
}

function extensions(bytes, tlv, cert) {
  const seq = children(bytes, tlv)[0];
  for (const ext of children(bytes, expect(seq, 0x30, "extensions"))) {
    const parts = children(bytes, ext);
    const id = oid(bytes, parts[0]);
    const critical = parts.length === 3 && parts[1].tag === 0x01 && bytes[parts[1].start] !== 0;
    const value = parts[parts.length - 1];
    expect(value, 0x04, "extension value");
    const inner = bytes.subarray(value.start, value.end);
    if (id === OID.subjectAltName) {
      for (const gn of children(inner, readTlv(inner, 0))) {
        if (gn.tag === 0x82) cert.dnsNames.push(text(inner, gn));
        if (gn.tag === 0x86) cert.uris.push(text(inner, gn));
      }
    } else if (id === OID.basicConstraints) {
      const bc = children(inner, readTlv(inner, 0));
      cert.isCA = bc.length > 0 && bc[0].tag === 0x01 && inner[bc[0].start] !== 0;
    } else if (critical && !KNOWN_CRITICAL.has(id)) {
      throw new WalletError("bad_certificate", "The certificate has an unknown critical extension.");
    }
  }
}

/** Parse a DER certificate: names, validity, SAN, CA flag, SPKI and the signed parts. */
export function parseCertificate(der) {
  const top = readTlv(der, 0);
  if (top.tag !== 0x30 || top.end !== der.length) throw bad("not a certificate");
  const [tbs, sigAlg, sigValue] = children(der, top);
  const fields = children(der, expect(tbs, 0x30, "tbsCertificate"));
  let i = fields[0].tag === 0xa0 ? 1 : 0; // explicit version
  i += 1; // serial number
  const innerAlg = oid(der, children(der, fields[i++])[0]);
  const issuer = name(der, fields[i++]);
  const [notBefore, notAfter] = children(der, expect(fields[i++], 0x30, "validity")).map((t) => time(der, t));
  const subject = name(der, fields[i++]);
  const spki = fields[i++];
  const [keyAlg] = children(der, expect(spki, 0x30, "SubjectPublicKeyInfo"));
  const [algId, curve] = children(der, keyAlg);
  const cert = {
    der, issuer, subject, notBefore, notAfter, dnsNames: [], uris: [], isCA: false,
    spki: tlvBytes(der, spki), keyAlgorithm: oid(der, algId), curve: curve && curve.tag === 0x06 ? oid(der, curve) : "",
    tbs: tlvBytes(der, tbs), signatureAlgorithm: oid(der, children(der, sigAlg)[0]), signature: null,
  };
  for (; i < fields.length; i++) if (fields[i].tag === 0xa3) extensions(der, fields[i], cert);
  expect(sigValue, 0x03, "signature value");
  if (der[sigValue.start] !== 0) throw bad("signature bit string");
  cert.signature = der.slice(sigValue.start + 1, sigValue.end);
  if (innerAlg !== cert.signatureAlgorithm) throw bad("signature algorithm mismatch");
  return cert;
}

export const OIDS = OID;
