// Who asks, as the consent screen shows it (issue #19 item 1): the relying party's registered
// name, country, purpose, retention and registered claims from OpenID4VP 1.0 `verifier_info`
// (Section 5.1: an array of {format, data, credential_ids}) in the signed Request Object.
// Only the `lintas_rp_registration` format with an object `data` is read (the verifier's shape,
// docs/readme.d/deploy.md: {"relying_party": {id, legal_name, country, purpose,
// registered_claims: [{vct, path}], retention_days, policy_uri}}): it sits inside the Request
// Object, whose signature and certificate chain vp.js has already checked, so the verifier
// vouches for it (the binding Section 5.1 asks for). Other formats, including the same
// registration as a stand-alone JWT, are ignored (Section 5.11: unknown formats are skipped). With no usable attestation the relying party is "unregistered" and
// named by what the request itself proves: its `client_name`, else the client identifier's host.
// Who vouches (issue #14 item 3): the certificate's `anchor.countries` are the member states whose
// registry entry lists the relying-party CA the chain ended at (x509.js). A relying party that
// declares a country must be vouched for by that country: a CA listed only by Singapore cannot
// certify a "Malaysian bank". The wallet refuses such a request outright rather than warn — the
// declared country is what the user judges the request by, and a warning on a consent screen is
// what users click through. `listedBy` names the vouching countries for the consent screen.
// No DOM, no crypto: a pure function of already-verified claims.
import { WalletError } from "./util.js";

const COUNTRY = /^[A-Z]{2}$/;
const FORMAT = "lintas_rp_registration";
const MAX_TEXT = 500;

function text(value) {
  return typeof value === "string" && value.trim() && value.length <= MAX_TEXT ? value.trim() : null;
}

/** A text or a {locale: text} map (the page picks the language), else null. */
function localized(value) {
  if (text(value)) return { "": text(value) };
  if (!value || typeof value !== "object" || Array.isArray(value)) return null;
  const out = {};
  for (const [locale, v] of Object.entries(value)) if (text(v)) out[locale] = text(v);
  return Object.keys(out).length ? out : null;
}

/** Retention as {days} or {text}: integer days, an ISO 8601 duration (PnY, PnM, PnW, PnD) or words. */
export function parseRetention(value) {
  if (Number.isInteger(value) && value >= 0 && value <= 36500) return { days: value };
  if (value && typeof value === "object") return parseRetention(value.days ?? value.retention_days ?? value.period ?? value.duration);
  const raw = text(value);
  if (!raw) return null;
  const iso = /^P(?:(\d{1,3})Y)?(?:(\d{1,4})M)?(?:(\d{1,4})W)?(?:(\d{1,5})D)?$/.exec(raw);
  if (iso && raw !== "P") {
    const [, y, m, w, d] = iso.map((n) => Number(n || 0));
    return { days: y * 365 + m * 30 + w * 7 + d };
  }
  return { text: raw };
}

/** Registered claims as [{vct, path}] with dotted paths ("address.locality"); null if not declared. */
function registeredClaims(value) {
  if (!Array.isArray(value)) return null;
  const out = [];
  for (const item of value) {
    const path = Array.isArray(item) ? item : Array.isArray(item?.path) ? item.path : null;
    if (path && path.every((p) => typeof p === "string" || p === null)) {
      out.push({ vct: typeof item?.vct === "string" ? item.vct : null, path: path.filter((p) => p !== null).join(".") });
    }
  }
  return out;
}

function registration(claims) {
  const infos = Array.isArray(claims.verifier_info) ? claims.verifier_info : [];
  for (const info of infos) {
    const data = info?.data;
    if (info?.format !== FORMAT || !data || typeof data !== "object" || Array.isArray(data)) continue;
    const rp = data.relying_party && typeof data.relying_party === "object" ? data.relying_party : data;
    const name = text(rp.legal_name) || text(rp.name) || text(rp.client_name) || text(rp.organization_name);
    if (!name) continue;
    return {
      name,
      country: COUNTRY.test(rp.country || "") ? rp.country : null,
      purpose: localized(rp.purpose),
      retention: parseRetention(rp.retention ?? rp.retention_days ?? rp.retention_period),
      privacyPolicy: webUrl(rp.policy_uri ?? rp.privacy_policy_uri),
      claims: registeredClaims(rp.registered_claims ?? rp.claims),
      format: text(info.format),
    };
  }
  return null;
}

function webUrl(value) {
  if (typeof value !== "string") return null;
  try {
    const url = new URL(value);
    return url.protocol === "https:" || url.protocol === "http:" ? url.href : null;
  } catch {
    return null;
  }
}

/** The host a client identifier names: the DNS name of `x509_san_dns:`, the host of the response URI else. */
export function clientHost(clientId, responseUri) {
  const [scheme, ...rest] = String(clientId).split(":");
  if (scheme === "x509_san_dns" && rest.length) return rest.join(":");
  try {
    return new URL(responseUri).hostname;
  } catch {
    return rest.join(":") || String(clientId);
  }
}

/**
 * Requested claim paths (dotted) the registration does not cover; [] when nothing is registered.
 * A registered (vct, path) covers the path and everything under it, for queries naming that vct.
 */
export function beyondRegistration(dcqlQuery, registered) {
  if (!registered) return [];
  const beyond = new Set();
  for (const cq of dcqlQuery?.credentials || []) {
    // An mdoc query names its type by `doctype_value` (OpenID4VP 1.0 Appendix B.2.3); the verifier registers it as `vct`.
    const vcts = Array.isArray(cq.meta?.vct_values) ? cq.meta.vct_values : typeof cq.meta?.doctype_value === "string" ? [cq.meta.doctype_value] : [];
    const mine = registered.filter((r) => r.vct === null || vcts.includes(r.vct));
    for (const claim of cq.claims || []) {
      const path = claim.path.filter((p) => p !== null).join(".");
      if (!mine.some((r) => path === r.path || path.startsWith(`${r.path}.`))) beyond.add(path);
    }
  }
  return [...beyond];
}

/** The countries that list the request's CA and vouch for this relying party; refuses a mismatch. */
export function listedBy(certificate, declaredCountry) {
  const countries = Array.isArray(certificate?.anchor?.countries) ? certificate.anchor.countries : [];
  if (!countries.length || !declaredCountry) return countries;
  if (!countries.includes(declaredCountry)) {
    throw new WalletError("rp_country_not_listed",
      `The relying party says it is from ${declaredCountry}, but its certificate authority is listed by ${countries.join(", ")} only.`);
  }
  return [declaredCountry];
}

/**
 * The relying party of a verified request: {registered, name, country, purpose, retention,
 * privacyPolicy, claims, beyond, clientId, scheme, host, operator, operatorCountry, listedBy}.
 */
export function relyingParty(claims, certificate, clientId) {
  const reg = registration(claims);
  const host = clientHost(clientId, claims.response_uri);
  const clientName = text(claims.client_metadata?.client_name);
  const vouching = listedBy(certificate, reg?.country || null);
  return {
    registered: Boolean(reg),
    name: reg?.name || clientName || host,
    country: reg?.country || null,
    purpose: reg?.purpose || localized(claims.purpose),
    retention: reg?.retention || null,
    privacyPolicy: reg?.privacyPolicy || null,
    claims: reg?.claims || null,
    beyond: beyondRegistration(claims.dcql_query, reg?.claims || null),
    clientId,
    scheme: String(clientId).includes(":") ? String(clientId).split(":")[0] : "pre-registered",
    host,
    operator: certificate?.subject?.organization || certificate?.subject?.commonName || host,
    operatorCountry: certificate?.subject?.country || null,
    listedBy: vouching,
  };
}
