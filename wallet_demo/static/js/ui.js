// DOM helpers and the credential card (never innerHTML with data: every value goes in as text).
import { claimLabels, typeNames } from "./labels.js";

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
  document.title = `${title} · Lintas wallet`;
  main.focus();
}

export function alertBox(message, title = "Refused") {
  return h("div", { class: "alert", role: "alert", "data-testid": "error" }, h("strong", {}, `${title}: `), message);
}

/** A flag chip: the ISO 3166-1 code in a box (emoji flags need fonts that phones have and servers lack). */
export function flag(code) {
  return /^[A-Z]{2}$/.test(code || "") ? code : "";
}

export function countryName(code) {
  return config?.countries?.[code]?.en || code || "unknown country";
}

/** The country's local locale for labels: its first non-English name locale the labels have. */
export function localLocale(country, available) {
  const locales = Object.keys(config?.countries?.[country] || {}).filter((l) => l !== "en");
  return locales.find((l) => l in available) || null;
}

export function countryTag(code) {
  return h("span", { class: "country" }, h("span", { class: "flag", "aria-hidden": "true" }, flag(code)), " ", countryName(code));
}

export function statusBadge(status) {
  const label = { valid: "Valid", suspended: "Suspended", revoked: "Revoked", unknown: "Status unknown" }[status] || status;
  return h("span", { class: `badge ${status}`, "data-testid": "status" }, label);
}

export function registryBadge(entry) {
  return entry?.listed
    ? h("span", { class: "badge listed", "data-testid": "registry" }, "Listed in the ASEAN trust registry")
    : h("span", { class: "badge unlisted", "data-testid": "registry" }, `Not listed in the trust registry (${entry?.status || "unknown"})`);
}

export function issuerName(credential) {
  const display = credential.issuerDisplay || [];
  return (display.find((d) => d.locale === "en") || display[0] || {}).name || credential.payload.iss;
}

export function labelled(labels, country, fallback) {
  const en = labels.en || fallback;
  const local = localLocale(country, labels);
  const out = [h("span", {}, en)];
  if (local && labels[local] !== en) out.push(h("span", { class: "sep", "aria-hidden": "true" }, " · "), h("span", { lang: local }, labels[local]));
  return out;
}

/** The card of a credential, rendered from its type metadata. */
export function credentialCard(credential, liveStatus) {
  const names = typeNames(credential.typeMetadata);
  const country = credential.country;
  const local = localLocale(country, names);
  const color = credential.typeMetadata?.display?.[0]?.rendering?.simple?.background_color;
  const card = h("a", { class: "card", href: `/credential/${credential.id}`, "data-testid": "credential-card", "data-vct": credential.payload.vct },
    h("p", { class: "type" }, names.en || credential.payload.vct),
    local ? h("p", { class: "local", lang: local }, names[local]) : null,
    h("p", { class: "meta" }, issuerName(credential), " · ", countryTag(country)),
    h("p", { class: "meta" }, registryBadge(credential.registry), liveStatus || statusBadge("unknown")));
  if (color && /^#[0-9a-fA-F]{6}$/.test(color)) card.style.background = color;
  return card;
}

function valueText(value) {
  if (value === true) return "Yes";
  if (value === false) return "No";
  if (value && typeof value === "object") return JSON.stringify(value);
  return String(value);
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
    rows.push(h("dt", {}, labelled(labels, credential.country, path.join(" › "))), h("dd", { "data-claim": path.join(".") }, valueText(value)));
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
