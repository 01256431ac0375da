// Claim labels and values as people read them, for the wallet's cards and consent and the
// relying-party result pages: labels from SD-JWT VC Type Metadata (draft-ietf-oauth-sd-jwt-vc
// Section 8.6, `claims[].display[]` by locale) in the page language, values through Intl (dates,
// numbers, lists, country names), never raw keys or ISO codes. No crypto, no DOM.
import { claimLabels } from "./labels.js";
import { countryName, formatDate, formatList, formatNumber, language, t } from "./i18n.js";

// Claims whose value is an ISO 3166-1 alpha-2 country code (the ASEAN PID and business types).
const COUNTRY_CLAIMS = new Set(["nationality", "nationalities", "issuing_country", "country", "person_issuing_country", "business_country"]);
// Claims whose value is a date or a partial date (YYYY, YYYY-MM, YYYY-MM-DD).
const DATE_CLAIMS = /(^|_)(date|birthdate|since|until|expiry|valid_from|valid_until|issuance_date)$|^birthdate$/;

/** A readable form of a claim name with no label: `family_name` → "Family name". */
export function humanKey(key) {
  const text = String(key ?? "").replace(/_/g, " ").trim();
  return text ? text[0].toUpperCase() + text.slice(1) : "";
}

/** The label of a claim path in the page language, else English, else the readable claim name. */
export function claimLabel(typeMetadata, path) {
  const labels = claimLabels(typeMetadata, path);
  const lang = language();
  const own = labels[lang] || Object.entries(labels).find(([k]) => k.split("-")[0] === lang)?.[1];
  if (own) return own;
  if (labels.en) return labels.en;
  // A nested claim without its own label: its parent's label, then the readable key.
  const names = path.filter((p) => typeof p === "string");
  return names.map(humanKey).join(" › ") || t("claim.item");
}

/** A claim value as text in the page language. `path` decides how codes are read. */
export function formatValue(path, value) {
  const key = [...path].reverse().find((p) => typeof p === "string") || "";
  if (value === true) return t("value.yes");
  if (value === false) return t("value.no");
  if (value === null || value === undefined) return t("value.none");
  if (Array.isArray(value)) return formatList(value.map((v) => formatValue([...path, null], v)));
  if (typeof value === "object") {
    return Object.entries(value).map(([k, v]) => `${humanKey(k)}: ${formatValue([...path, k], v)}`).join("; ");
  }
  if (typeof value === "number") return formatNumber(value);
  const text = String(value);
  if (COUNTRY_CLAIMS.has(key) && /^[A-Z]{2}$/.test(text)) return countryName(text);
  if (DATE_CLAIMS.test(key)) return formatDate(text) || text;
  return text;
}
