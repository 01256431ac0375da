// DOM helpers and the credential card (never innerHTML with data: every value goes in as text).
import { claimLabels, typeNames } from "./labels.js";
import { claimLabel, formatValue } from "./format.js";
import { LANGUAGES, NATIVE_NAMES, chooseLanguage, countryName as intlCountryName, language, t } from "./i18n.js";

export function h(tag, attrs = {}, ...kids) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else if (k === "text") el.textContent = v;
    else el.setAttribute(k, v === true ? "" : v);
  }
  for (const kid of kids.flat()) if (kid !== null && kid !== undefined && kid !== false) el.append(kid instanceof Node ? kid : String(kid));
  return el;
}

let config = null;
export async function getConfig() {
  if (!config) config = await (await fetch("/config.json")).json();
  return config;
}

/** Replace an element's children, skipping null/false (conditional parts). */
export function fill(el, ...kids) {
  el.replaceChildren(...kids.flat().filter((k) => k !== null && k !== undefined && k !== false));
  return el;
}

/** Replace the page content, set the title and move focus to the main region (screen readers). */
export function show(title, ...content) {
  const main = document.getElementById("main");
  fill(main, h("h1", { id: "page-title" }, title), ...content);
  document.title = `${title} · ${t("app.name")}`;
  main.focus();
}

export function alertBox(message, title = t("error.refused")) {
  return h("div", { class: "alert", role: "alert", "data-testid": "error" }, h("strong", {}, `${title}: `), message);
}

/** A flag chip: the ISO 3166-1 code in a box (emoji flags need fonts that phones have and servers lack). */
export function flag(code) {
  return /^[A-Z]{2}$/.test(code || "") ? code : "";
}

/** The country's name in the page language (Intl), the registry's names as fallback. */
export function countryName(code) {
  return intlCountryName(code, config?.countries?.[code] || {});
}

/** The country's local locale for labels: its first non-English name locale the labels have. */
export function localLocale(country, available) {
  const locales = Object.keys(config?.countries?.[country] || {}).filter((l) => l !== "en");
  return locales.find((l) => l in available) || null;
}

export function countryTag(code) {
  return h("span", { class: "country" }, h("span", { class: "flag", "aria-hidden": "true" }, flag(code)), " ", countryName(code));
}

const STATUSES = ["valid", "suspended", "revoked", "expiring", "expired", "unknown"];

/** A status badge: valid, suspended, revoked, expiring (within 30 days), expired or unknown. */
export function statusBadge(status) {
  const known = STATUSES.includes(status) ? status : "unknown";
  return h("span", { class: `badge ${known}`, "data-testid": "status", "data-status": known }, t(`status.${known}`));
}

/** A credential's status with its validity period: expired or expiring overrides a valid list entry. */
export function effectiveStatus(listStatus, credential, nowMs = Date.now()) {
  const exp = Number(credential?.payload?.exp) * 1000;
  if (Number.isFinite(exp) && exp <= nowMs) return "expired";
  if (listStatus === "valid" && Number.isFinite(exp) && exp - nowMs < 30 * 86400 * 1000) return "expiring";
  return listStatus;
}

export function registryBadge(entry) {
  return entry?.listed
    ? h("span", { class: "badge listed", "data-testid": "registry" }, t("registry.listed"))
    : h("span", { class: "badge unlisted", "data-testid": "registry" }, t("registry.unlisted", { status: entry?.status || t("status.unknown") }));
}

/** The language switcher: a labelled <select> of the languages by their own names. */
export function languageSwitcher() {
  const select = h("select", { id: "language", "data-testid": "language" },
    LANGUAGES.map((code) => h("option", { value: code, lang: code, selected: code === language() }, NATIVE_NAMES[code])));
  select.addEventListener("change", () => chooseLanguage(select.value));
  return h("div", { class: "language" }, h("label", { for: "language" }, t("nav.language")), select);
}

export function issuerName(credential) {
  const display = credential.issuerDisplay || [];
  return (display.find((d) => d.locale === language()) || display.find((d) => d.locale === "en") || display[0] || {}).name || credential.payload.iss;
}

/** A label in the page language, and in the issuing country's language when that differs. */
export function labelled(labels, country, fallback) {
  const main = labels[language()] || labels.en || fallback;
  const local = localLocale(country, labels);
  const out = [h("span", {}, main)];
  if (local && local !== language() && labels[local] !== main) out.push(h("span", { class: "sep", "aria-hidden": "true" }, " · "), h("span", { lang: local }, labels[local]));
  return out;
}

/** The card of a credential, rendered from its type metadata. */
export function credentialCard(credential, liveStatus) {
  const names = typeNames(credential.typeMetadata);
  const country = credential.country;
  const local = localLocale(country, names);
  const color = credential.typeMetadata?.display?.[0]?.rendering?.simple?.background_color;
  const card = h("a", { class: "card", href: `/credential/${credential.id}`, "data-testid": "credential-card", "data-vct": credential.payload.vct },
    h("p", { class: "type" }, names[language()] || names.en || credential.payload.vct),
    local && local !== language() ? h("p", { class: "local", lang: local }, names[local]) : null,
    h("p", { class: "meta" }, issuerName(credential), " · ", countryTag(country)),
    h("p", { class: "meta" }, registryBadge(credential.registry), liveStatus || statusBadge("unknown")));
  if (color && /^#[0-9a-fA-F]{6}$/.test(color)) card.style.background = color;
  return card;
}

/** The claims of a credential as a definition list with labels in English and the local language. */
export function claimsList(credential) {
  const rows = [];
  const add = (path, value) => {
    if (value && typeof value === "object" && !Array.isArray(value)) {
      for (const [k, v] of Object.entries(value)) add([...path, k], v);
      return;
    }
    const labels = claimLabels(credential.typeMetadata, path);
    rows.push(h("dt", {}, labelled(labels, credential.country, claimLabel(credential.typeMetadata, path))), h("dd", { "data-claim": path.join(".") }, formatValue(path, value)));
  };
  const skip = new Set(["iss", "iat", "exp", "nbf", "cnf", "status", "vct", "vct#integrity", "_sd_alg"]);
  // Show claims in the order the type metadata lists them, unknown ones after.
  const order = (credential.typeMetadata?.claims || []).map((c) => c.path[0]);
  const rank = (k) => (order.includes(k) ? order.indexOf(k) : order.length);
  const keys = Object.keys(credential.claims).filter((k) => !skip.has(k)).sort((a, b) => rank(a) - rank(b));
  for (const k of keys) add([k], credential.claims[k]);
  return h("dl", { class: "claims" }, rows);
}

export function busy(button, promise) {
  button.disabled = true;
  return promise.finally(() => { button.disabled = false; });
}
