// The consent screen's parts (issue #19 items 1 and 4): who asks (registered name, country via
// Intl, purpose, retention, a warning when the request goes beyond the registration), each claim
// with its label and the value about to leave, technical details behind a disclosure, and a
// "cannot answer" that names the missing credential and where to get it.
import { formatValue } from "./format.js";
import { claimLabels, typeNames } from "./labels.js";
import { fetchTypeMetadata } from "./meta.js";
import { claimAt } from "./sdjwt.js";
import { getSetting } from "./store.js";
import { countryName, formatList, formatNumber, language, t } from "./i18n.js";
import { alertBox, countryTag, getConfig, h, labelled } from "./ui.js";

function pick(localized) {
  if (!localized) return null;
  return localized[language()] || localized[""] || localized.en || Object.values(localized)[0];
}

function retentionText(retention) {
  if (!retention) return t("rp.retention_undeclared");
  if (Number.isInteger(retention.days)) {
    return retention.days === 0 ? t("rp.retention_none") : t("rp.retention_days", { days: formatNumber(retention.days) });
  }
  return t("rp.retention_text", { text: retention.text });
}

/** Who asks, why, for how long; the client id, scheme and signer behind a <details>. */
export function whoPanel(rp, link) {
  const country = rp.country ? countryTag(rp.country) : h("span", {}, t("rp.country_undeclared"));
  return h("section", { class: "panel", "aria-labelledby": "who", "data-testid": "request" },
    h("h2", { id: "who" }, t("consent.who")),
    h("p", { "data-testid": "verifier-name" }, h("strong", {}, rp.name)),
    h("p", { "data-testid": "rp-country" }, t("consent.country"), " ", country),
    rp.listedBy?.length
      ? h("p", { "data-testid": "rp-listed-by" }, t("consent.listed_by", { countries: formatList(rp.listedBy.map(countryName)) }))
      : null,
    rp.registered
      ? h("p", { "data-testid": "registered" }, h("span", { class: "badge listed" }, t("consent.registered")))
      : h("div", { class: "caution", role: "note", "data-testid": "unregistered" }, t("consent.unregistered", { host: rp.host })),
    rp.beyond.length ? h("div", { class: "caution", role: "note", "data-testid": "beyond" }, t("consent.beyond", { claims: rp.beyond.join(", ") })) : null,
    h("h2", {}, t("consent.why")),
    h("p", { "data-testid": "purpose" }, pick(rp.purpose) || t("consent.no_purpose")),
    h("h2", {}, t("consent.retention")),
    h("p", { "data-testid": "retention" }, retentionText(rp.retention)),
    rp.privacyPolicy ? h("p", {}, h("a", { href: rp.privacyPolicy, rel: "noopener noreferrer", target: "_blank" }, t("consent.privacy_policy"))) : null,
    h("details", { "data-testid": "technical" }, h("summary", {}, t("consent.technical")),
      h("dl", { class: "claims" },
        h("dt", {}, t("consent.client_id")), h("dd", { "data-testid": "client-id" }, rp.clientId),
        h("dt", {}, t("consent.scheme")), h("dd", {}, rp.scheme),
        h("dt", {}, t("consent.signed_by")), h("dd", {}, rp.operator, rp.operatorCountry ? ` · ${countryName(rp.operatorCountry)}` : ""),
        link ? [h("dt", {}, t("consent.link")), h("dd", { class: "link" }, link)] : null)));
}

/** One requested claim: checkbox (disabled when required), label, and the value that would be shared. */
export function claimRow(credential, spec, required, index) {
  const labels = claimLabels(credential.typeMetadata, spec.path);
  const id = `claim-${index}-${spec.id.replace(/[^A-Za-z0-9_-]/g, "_")}`;
  const box = h("input", { type: "checkbox", id, value: spec.id, checked: required || spec.preferred, disabled: required, "data-optional": required ? null : "true" });
  const value = claimAt(credential.claims, spec.path);
  const fallback = spec.path.filter((p) => typeof p === "string").join(" › ");
  return h("label", { for: id, class: "claim" }, box,
    h("span", { class: "what" }, h("span", { class: "name" }, labelled(labels, credential.country, fallback)),
      h("span", { class: "value", "data-testid": "claim-value", "data-claim": spec.path.join(".") }, formatValue(spec.path, value))),
    h("span", { class: "hint" }, required ? t("consent.required") : t("consent.optional")),
    // `intent_to_retain` (OpenID4VP 1.0 Appendix B.2.4): the mdoc query says this element will be kept.
    spec.retain ? h("span", { class: "hint", "data-testid": "retained" }, t("consent.retained")) : null);
}

/** When claim_sets offer alternatives: which combinations the relying party accepts. */
export function alternativesHint(credential, match) {
  if (match.options.length < 2) return null;
  const byId = new Map([...match.required, ...match.optional].map((c) => [c.id, c]));
  const name = (id) => {
    const spec = byId.get(id);
    const labels = claimLabels(credential.typeMetadata, spec.path);
    return labels[language()] || labels.en || spec.path.join(".");
  };
  return h("div", { class: "hint", "data-testid": "alternatives" }, t("consent.alternatives"),
    h("ul", {}, match.options.map((o) => h("li", {}, formatList(o.map(name))))));
}

async function homeCountry(config, credentials) {
  const chosen = await getSetting("persona");
  const persona = config.personas.find((p) => p.id === chosen);
  return persona?.country || credentials.find((c) => c.country)?.country || null;
}

async function typeName(vct, issuer) {
  const meta = vct && issuer ? await fetchTypeMetadata(vct, issuer).catch(() => null) : null;
  const names = typeNames(meta);
  return names[language()] || names.en || vct || t("consent.a_credential");
}

/** "Cannot answer": which credentials are missing, and the home country's issuer that gives them. */
export async function cannotAnswer(plan, credentials) {
  const config = await getConfig();
  const home = await homeCountry(config, credentials);
  const issuer = home ? config.issuers[home] : null;
  const missing = [...plan.candidates.values()].filter((c) => !c.found.length);
  const names = await Promise.all(missing.map((m) => typeName(m.query.meta?.vct_values?.[0], issuer || Object.values(config.issuers)[0])));
  return h("div", { "data-testid": "cannot-answer" },
    alertBox(t("consent.missing", { types: formatList(names.length ? names : [t("consent.a_credential")]) }), t("consent.cannot_answer")),
    issuer
      ? h("p", {}, t("consent.get_it_from", { country: countryName(home) }), " ", h("a", { href: issuer, "data-testid": "home-issuer" }, issuer))
      : null,
    h("p", {}, h("a", { class: "button secondary", href: "/personas" }, t("consent.get_it_demo"))));
}
