// Relying-party demo pages: start a presentation request through this app's back end (which
// calls the verifier's relying-party API), then the same-device button (first on a phone) and the
// QR code (first on a wide screen), the live status with progress, and the verified claims with
// labels from the credential's type metadata and values formatted for the page language. Same-
// device answers come back with `#transaction_id=...&response_code=...` (OpenID4VP 1.0 Section 13.3).
import { claimLabel, formatValue } from "./js/format.js";
import { typeNames } from "./js/labels.js";
import { countryName, initI18n, language, t, translateStatic } from "./js/i18n.js";
import { fill, flag, h, languageSwitcher } from "./js/ui.js";

// Reason codes the verifier reports (verifier/pipeline.py) that have their own message.
const REASONS = ["revoked", "suspended", "untrusted_issuer", "not_authorised", "issuer_suspended", "issuer_withdrawn",
  "dcql_unsatisfied", "policy_not_met", "country_not_accepted", "expired", "wallet_error", "bad_signature",
  "mandate_mismatch", "invalid_identifier", "digest_mismatch"];
// Registered JWT claims describe the credential, not the person: shown separately, not as data.
const TECHNICAL = new Set(["iss", "iat", "exp", "nbf", "vct", "sub", "cnf", "status"]);
let countries = {};

function show(title, ...content) {
  fill(document.getElementById("main"), h("h1", {}, title), ...content);
  document.title = `${title} · ${t("rp.app_name")}`;
}

async function api(path, options = {}) {
  const response = await fetch(path, options);
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(body.detail || t("rp.request_failed", { status: response.status }));
  return body;
}

function country(code) {
  return h("span", {}, h("span", { class: "flag", "aria-hidden": "true" }, flag(code)), " ", countryName(code, countries[code] || {}));
}

/** Type metadata of `vct` where its issuer serves it (display only: labels, no trust decision). */
async function typeMetadata(vct, issuer) {
  try {
    const response = await fetch(new URL(new URL(vct).pathname, issuer), { credentials: "omit" });
    const doc = response.ok ? await response.json() : null;
    return doc && doc.vct === vct ? doc : null;
  } catch {
    return null;
  }
}

/** Labels of an mdoc's elements: its issuer's `mso_mdoc` configuration for `doctype` (OpenID4VCI 1.0 Appendix A.2.2). */
async function mdocMetadata(doctype, issuer) {
  try {
    const url = new URL(issuer);
    const response = await fetch(`${url.origin}/.well-known/openid-credential-issuer${url.pathname.replace(/\/$/, "")}`, { credentials: "omit" });
    const configs = Object.values((response.ok ? await response.json() : {}).credential_configurations_supported || {});
    const config = configs.find((c) => c?.format === "mso_mdoc" && c.doctype === doctype);
    return config ? { display: config.credential_metadata?.display || [], claims: config.credential_metadata?.claims || [] } : null;
  } catch {
    return null;
  }
}

function claimRows(meta, claims, prefix = []) {
  const rows = [];
  for (const [k, v] of Object.entries(claims)) {
    if (!prefix.length && TECHNICAL.has(k)) continue;
    const path = [...prefix, k];
    if (v && typeof v === "object" && !Array.isArray(v)) rows.push(...claimRows(meta, v, path));
    else rows.push(h("dt", {}, claimLabel(meta, path)), h("dd", { "data-claim": path.join(".") }, formatValue(path, v)));
  }
  return rows;
}

async function credentialPanel(c) {
  const meta = c.format === "mso_mdoc" ? await mdocMetadata(c.doctype, c.issuer) : await typeMetadata(c.vct, c.issuer);
  const names = typeNames(meta);
  return h("section", { class: "panel", "data-testid": "verified-credential" },
    h("h2", {}, names[language()] || names.en || t("rp.credential")),
    h("p", {}, t("rp.issued_by", { issuer: c.issuer_name || c.issuer })),
    h("p", { "data-testid": "issuing-country" }, t("rp.issuing_country"), " ", country(c.issuing_country)),
    h("p", { class: "hint" }, t("rp.assurance", { level: ["low", "substantial", "high"].includes(c.assurance_level) ? t(`rp.assurance_${c.assurance_level}`) : c.assurance_level })),
    h("dl", { class: "claims" }, claimRows(meta, c.claims)));
}

function refusal(reason) {
  const why = REASONS.includes(reason) ? t(`reason.${reason}`) : t("reason.other");
  return h("div", { class: "alert", role: "alert", "data-testid": "rp-status", "data-reason": String(reason || "") }, h("strong", {}, t("rp.refused")), " ", why);
}

async function renderResult(view, slot) {
  const status = view.status;
  if (status === "verified" && view.credentials) {
    const panels = await Promise.all(view.credentials.map(credentialPanel));
    fill(slot, h("div", { class: "notice", role: "status", "data-testid": "rp-status" }, t("rp.verified")), ...panels);
    return true;
  }
  if (status === "verified") {
    fill(slot, h("div", { class: "notice", role: "status", "data-testid": "rp-status" }, t("rp.verified_elsewhere")));
    return true;
  }
  if (status === "rejected") {
    fill(slot, refusal(view.reason));
    return true;
  }
  if (view.last_rejection && view.last_rejection.reason === "wallet_error") {
    // The transaction stays open (an error response proves nothing), but this page's user declined.
    fill(slot, refusal("wallet_error"));
    return true;
  }
  if (view.last_rejection && status !== "expired") {
    // A presentation no trusted issuer vouches for (e.g. an altered mdoc element, digest_mismatch)
    // leaves the transaction open for the real wallet: say why it was refused, and keep following.
    fill(slot, refusal(view.last_rejection.reason));
    return false;
  }
  if (status === "expired") {
    fill(slot, h("div", { class: "alert", role: "alert", "data-testid": "rp-status" }, t("rp.expired")));
    return true;
  }
  fill(slot, progress(status === "fetched" ? t("rp.fetched") : t("rp.waiting")));
  return false;
}

function progress(text) {
  return h("p", { role: "status", class: "progress", "data-testid": "rp-status" }, text);
}

async function follow(slug, tid, slot, responseCode = null) {
  for (let i = 0; i < 180; i++) {
    // Short polls keep a Ctrl-C of the demo quick (servers wait for open requests on shutdown).
    const query = new URLSearchParams({ wait: responseCode ? "0" : "5" });
    if (responseCode) query.set("response_code", responseCode);
    const view = await api(`/rp/api/${slug}/transactions/${encodeURIComponent(tid)}?${query}`);
    if (await renderResult(view, slot)) return;
  }
}

async function start(scenario, out) {
  fill(out, progress(t("rp.preparing")));
  const tx = await api(`/rp/api/${scenario.slug}/transactions`, { method: "POST" });
  const sameDevice = `/present?${tx.same_device_link.slice(tx.same_device_link.indexOf("?") + 1)}`;
  const slot = h("div", { "aria-live": "polite" }, progress(t("rp.waiting")));
  // DOM order is the phone's: the same-device button first; wide screens put the QR first (style.css).
  fill(out, h("div", { class: "answer" },
    h("section", { class: "panel same", "aria-labelledby": "same" }, h("h2", { id: "same" }, t("rp.same_device")),
      h("p", { class: "hint" }, t("rp.same_device_hint")),
      h("a", { class: "button", href: sameDevice, "data-testid": "same-device" }, t("rp.open_wallet_button"))),
    h("section", { class: "panel qr", "aria-labelledby": "cross" }, h("h2", { id: "cross" }, t("rp.scan")),
      h("img", { src: tx.qr_svg_url, alt: t("rp.qr_alt") }),
      h("label", { for: "request-link" }, t("rp.copy_link")),
      h("textarea", { id: "request-link", readonly: true, rows: 3, class: "link", "data-testid": "request-link" }, tx.request_link))),
  h("section", { "aria-labelledby": "status-title" }, h("h2", { id: "status-title" }, t("rp.status")), slot));
  follow(scenario.slug, tx.transaction_id, slot).catch((err) => fill(slot, h("div", { class: "alert", role: "alert" }, err.message)));
}

function scenarioText(scenario, part) {
  const key = `scenario.${scenario.slug}.${part}`;
  const text = t(key);
  return text === key ? scenario[part] : text;
}

async function scenarioPage(scenario) {
  const out = h("div", {});
  const button = h("button", { type: "button", "data-testid": "start" }, t("rp.start"));
  button.addEventListener("click", () => {
    button.disabled = true;
    start(scenario, out).catch((err) => fill(out, h("div", { class: "alert", role: "alert" }, err.message))).finally(() => { button.disabled = false; });
  });
  show(scenarioText(scenario, "title"), h("p", { class: "rp-meta" }, country(scenario.country)), h("p", { class: "intro" }, scenarioText(scenario, "intro")), button, out);
  const fragment = new URLSearchParams(location.hash.slice(1));
  if (fragment.get("transaction_id") && fragment.get("response_code")) {
    history.replaceState(null, "", location.pathname); // the response code is single-use: keep it out of history
    const slot = h("div", { "aria-live": "polite" }, progress(t("rp.checking")));
    fill(out, h("section", {}, h("h2", {}, t("rp.result")), slot));
    await follow(scenario.slug, fragment.get("transaction_id"), slot, fragment.get("response_code"));
  }
}

async function main() {
  await initI18n();
  translateStatic();
  fill(document.getElementById("language-slot"), languageSwitcher());
  const [{ scenarios }, config] = await Promise.all([api("/rp/api/scenarios"), api("/config.json")]);
  countries = config.countries || {};
  fill(document.getElementById("rp-nav"), ...scenarios.map((s) => h("li", {}, h("a", { href: `/rp/${s.slug}` }, scenarioText(s, "title").split(":")[0]))));
  const slug = location.pathname.split("/")[2] || "";
  const scenario = scenarios.find((s) => s.slug === slug);
  if (!scenario) {
    show(t("rp.demos"), h("ul", { class: "plain" }, scenarios.map((s) => h("li", {}, h("a", { href: `/rp/${s.slug}` }, scenarioText(s, "title")), h("p", { class: "hint" }, scenarioText(s, "intro"))))));
    return;
  }
  await scenarioPage(scenario);
}

main().catch((err) => show(t("error.generic"), h("div", { class: "alert", role: "alert" }, err.message)));
