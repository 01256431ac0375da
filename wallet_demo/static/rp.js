// Relying-party demo pages: start a presentation request through this app's back end (which
// calls the verifier's relying-party API), show its QR code, a same-device button and the live
// status, and the verified claims with the issuing country. Same-device answers come back with
// `#transaction_id=...&response_code=...` (OpenID4VP 1.0 Section 13.3).
import { fill, flag, h } from "./js/ui.js";

const REASONS = {
  revoked: "the credential has been revoked by its issuer",
  suspended: "the credential is suspended by its issuer",
  untrusted_issuer: "the issuer is not in the ASEAN trust registry",
  not_authorised: "the issuer is not authorised for this credential type",
  issuer_suspended: "the issuer is suspended in the trust registry",
  issuer_withdrawn: "the issuer has been withdrawn from the trust registry",
  dcql_unsatisfied: "the wallet did not share the requested claims",
  policy_not_met: "the credential does not meet this service's policy",
  country_not_accepted: "credentials from this country are not accepted here",
  expired: "the credential has expired",
  wallet_error: "the user declined in the wallet",
  bad_signature: "a signature does not verify",
  mandate_mismatch: "the mandate does not name this person or this company",
  invalid_identifier: "the national identity number is not valid",
};
let countries = {};

function show(title, ...content) {
  fill(document.getElementById("main"), h("h1", {}, title), ...content);
  document.title = `${title} · Lintas demo`;
}

async function api(path, options = {}) {
  const response = await fetch(path, options);
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(body.detail || `request failed (${response.status})`);
  return body;
}

function country(code) {
  return h("span", {}, h("span", { class: "flag", "aria-hidden": "true" }, flag(code)), " ", countries[code]?.en || code);
}

// Registered JWT claims describe the credential, not the person: shown separately, not as data.
const TECHNICAL = new Set(["iss", "iat", "exp", "nbf", "vct", "sub"]);

function claimRows(claims, prefix = []) {
  const rows = [];
  for (const [k, v] of Object.entries(claims)) {
    if (!prefix.length && TECHNICAL.has(k)) continue;
    if (v && typeof v === "object" && !Array.isArray(v)) rows.push(...claimRows(v, [...prefix, k]));
    else rows.push(h("dt", {}, [...prefix, k].join(" › ")), h("dd", { "data-claim": [...prefix, k].join(".") }, v === true ? "Yes" : v === false ? "No" : typeof v === "object" ? JSON.stringify(v) : String(v)));
  }
  return rows;
}

function renderResult(view, slot) {
  const status = view.status;
  if (status === "verified" && view.credentials) {
    fill(slot, h("div", { class: "notice", role: "status", "data-testid": "rp-status" }, "Verified"),
      ...view.credentials.map((c) => h("section", { class: "panel", "data-testid": "verified-credential" },
        h("h2", {}, c.issuer_name || c.issuer),
        h("p", { "data-testid": "issuing-country" }, "Issuing country: ", country(c.issuing_country)),
        h("p", { class: "hint" }, `Assurance level: ${c.assurance_level} · ${c.vct}`),
        h("dl", { class: "claims" }, claimRows(c.claims)))));
    return true;
  }
  if (status === "verified") {
    fill(slot, h("div", { class: "notice", role: "status", "data-testid": "rp-status" }, "Verified. Continue on the device that answered to see the result."));
    return true;
  }
  if (status === "rejected") {
    const why = REASONS[view.reason] || `check ${view.check} failed (${view.reason})`;
    fill(slot, h("div", { class: "alert", role: "alert", "data-testid": "rp-status" }, h("strong", {}, "Refused: "), why, "."));
    return true;
  }
  if (view.last_rejection && view.last_rejection.reason === "wallet_error") {
    // The transaction stays open (an error response proves nothing), but this page's user declined.
    fill(slot, h("div", { class: "alert", role: "alert", "data-testid": "rp-status" }, h("strong", {}, "Refused: "), REASONS.wallet_error, "."));
    return true;
  }
  if (status === "expired") {
    fill(slot, h("div", { class: "alert", role: "alert", "data-testid": "rp-status" }, "The request expired. Start again."));
    return true;
  }
  const text = status === "fetched" ? "The wallet has opened the request…" : "Waiting for the wallet…";
  fill(slot, h("p", { role: "status", "data-testid": "rp-status" }, text));
  return false;
}

async function follow(slug, tid, slot, responseCode = null) {
  for (let i = 0; i < 180; i++) {
    // Short polls keep a Ctrl-C of the demo quick (servers wait for open requests on shutdown).
    const query = new URLSearchParams({ wait: responseCode ? "0" : "5" });
    if (responseCode) query.set("response_code", responseCode);
    const view = await api(`/rp/api/${slug}/transactions/${encodeURIComponent(tid)}?${query}`);
    if (renderResult(view, slot)) return;
  }
}

async function start(scenario, out) {
  const tx = await api(`/rp/api/${scenario.slug}/transactions`, { method: "POST" });
  const sameDevice = `/present?${tx.same_device_link.slice(tx.same_device_link.indexOf("?") + 1)}`;
  const slot = h("div", { "aria-live": "polite" });
  fill(out,
    h("section", { class: "panel qr", "aria-labelledby": "cross" }, h("h2", { id: "cross" }, "Scan with your wallet"),
      h("img", { src: tx.qr_svg_url, alt: "QR code of the presentation request" }),
      h("label", { for: "request-link" }, "Or copy the request link"),
      h("textarea", { id: "request-link", readonly: true, rows: 3, class: "link", "data-testid": "request-link" }, tx.request_link)),
    h("section", { class: "panel", "aria-labelledby": "same" }, h("h2", { id: "same" }, "On this device"),
      h("a", { class: "button", href: sameDevice, "data-testid": "same-device" }, "Open my wallet")),
    h("section", { "aria-labelledby": "status-title" }, h("h2", { id: "status-title" }, "Status"), slot));
  follow(scenario.slug, tx.transaction_id, slot).catch((err) => fill(slot, h("div", { class: "alert", role: "alert" }, err.message)));
}

async function scenarioPage(scenario) {
  const out = h("div", {});
  const button = h("button", { type: "button", "data-testid": "start" }, "Start verification");
  button.addEventListener("click", () => {
    button.disabled = true;
    start(scenario, out).catch((err) => fill(out, h("div", { class: "alert", role: "alert" }, err.message))).finally(() => { button.disabled = false; });
  });
  show(scenario.title, h("p", {}, country(scenario.country)), h("p", {}, scenario.intro), button, out);
  const fragment = new URLSearchParams(location.hash.slice(1));
  if (fragment.get("transaction_id") && fragment.get("response_code")) {
    history.replaceState(null, "", location.pathname); // the response code is single-use: keep it out of history
    const slot = h("div", { "aria-live": "polite" });
    fill(out, h("section", {}, h("h2", {}, "Result"), slot));
    await follow(scenario.slug, fragment.get("transaction_id"), slot, fragment.get("response_code"));
  }
}

async function main() {
  const [{ scenarios }, config] = await Promise.all([api("/rp/api/scenarios"), api("/config.json")]);
  countries = config.countries || {};
  fill(document.getElementById("rp-nav"), ...scenarios.map((s) => h("li", {}, h("a", { href: `/rp/${s.slug}` }, s.title.split(":")[0]))));
  const slug = location.pathname.split("/")[2] || "";
  const scenario = scenarios.find((s) => s.slug === slug);
  if (!scenario) {
    show("Relying-party demos", h("ul", { class: "plain" }, scenarios.map((s) => h("li", {}, h("a", { href: `/rp/${s.slug}` }, s.title), h("p", { class: "hint" }, s.intro)))));
    return;
  }
  await scenarioPage(scenario);
}

main().catch((err) => show("Something went wrong", h("div", { class: "alert", role: "alert" }, err.message)));
