// The receive flow: open or paste a Credential Offer, show who offers it, enter the PIN or log in
// at the national ID portal, then store the credential and show its card.
import { fetchTypeMetadata, registryCheck, registryEntry } from "./meta.js";
import { put, getSetting } from "./store.js";
import { PRE_AUTH_GRANT, authServerMetadata, tokenWithPreAuthorizedCode, finishAuthorization, issuerMetadata, obtainCredential, resolveOffer, startAuthorization } from "./vci.js";
import { alertBox, busy, countryTag, fill, getConfig, h, labelled, registryBadge, show } from "./ui.js";

function displayNames(meta) {
  const out = {};
  for (const d of meta.display || []) out[d.locale] = d.name;
  return out;
}

/** Store type metadata, country and the registry's verdict with a new credential. */
export async function enrich(record, registry) {
  const p = record.payload;
  record.typeMetadata = await fetchTypeMetadata(p.vct, p.iss, p["vct#integrity"]);
  record.registry = await registryCheck((await getConfig()).registry_url, record);
  record.country = registry.country || record.claims.issuing_country || record.claims.country || "";
  await put("credentials", record);
  return record;
}

async function receive(offer, issuerMeta, registry, pin) {
  const asMeta = await authServerMetadata(issuerMeta);
  const token = await tokenWithPreAuthorizedCode(asMeta, offer, pin);
  const persona = await getSetting("persona");
  const record = await obtainCredential(issuerMeta, token, offer.credential_configuration_ids[0], { context: { persona } });
  await enrich(record, registry);
  location.assign(`/credential/${record.id}?new=1`);
}

function grantPanel(offer, issuerMeta, registry, out) {
  const panel = h("div", { class: "panel" });
  const pre = offer.grants[PRE_AUTH_GRANT];
  if (pre) {
    const tx = pre.tx_code;
    const input = tx ? h("input", { id: "pin", class: "pin", type: "password", inputmode: tx.input_mode === "text" ? "text" : "numeric",
      autocomplete: "one-time-code", maxlength: tx.length || null, "aria-describedby": "pin-hint", required: true }) : null;
    const button = h("button", { type: "submit" }, "Receive credential");
    const formEl = h("form", {}, tx ? [h("label", { for: "pin" }, "PIN"), h("p", { id: "pin-hint", class: "hint" }, tx.description || "Enter the PIN the issuer sent you."), input] : null, button);
    formEl.addEventListener("submit", (ev) => {
      ev.preventDefault();
      fill(out);
      busy(button, receive(offer, issuerMeta, registry, input?.value.trim()).catch((err) => fill(out, alertBox(err.message, "Not received"))));
    });
    panel.append(formEl);
  }
  if (offer.grants.authorization_code || !pre) {
    const login = h("button", { type: "button", class: pre ? "secondary" : null }, "Log in at the national ID portal");
    login.addEventListener("click", () => busy(login, (async () => {
      const asMeta = await authServerMetadata(issuerMeta);
      location.assign(await startAuthorization(offer, issuerMeta, asMeta, `${location.origin}/callback`));
    })().catch((err) => fill(out, alertBox(err.message, "Login failed")))));
    panel.append(h("p", { class: "hint" }, "Or sign in with your national digital identity:"), login);
  }
  return panel;
}

async function showOffer(link, out) {
  const config = await getConfig();
  const offer = await resolveOffer(link);
  const issuerMeta = await issuerMetadata(offer.credential_issuer);
  const registry = await registryEntry(config.registry_url, offer.credential_issuer);
  const names = displayNames(issuerMeta);
  const configuration = issuerMeta.credential_configurations_supported?.[offer.credential_configuration_ids[0]] || {};
  const errors = h("div", { "aria-live": "polite" });
  const typeName = (configuration.credential_metadata?.display || configuration.display || [])[0]?.name || offer.credential_configuration_ids[0];
  fill(out,
    h("section", { class: "panel", "aria-labelledby": "offer-title", "data-testid": "offer" },
      h("h2", { id: "offer-title" }, "Credential offer"),
      h("p", {}, h("strong", {}, "From: "), labelled(names, registry.country, offer.credential_issuer)),
      h("p", {}, h("strong", {}, "Country: "), countryTag(registry.country)),
      h("p", {}, registryBadge(registry)),
      h("p", {}, h("strong", {}, "Credential: "), typeName)),
    registry.listed ? null : h("div", { class: "warning", role: "note" }, "The ASEAN trust registry does not list this issuer. Verifiers will not accept its credentials."),
    grantPanel(offer, issuerMeta, registry, errors), errors);
}

export async function receivePage(params) {
  const initial = params.get("offer") || (params.has("credential_offer_uri") || params.has("credential_offer") ? `openid-credential-offer://?${params}` : "");
  const out = h("div", { id: "offer-area" });
  const area = h("textarea", { id: "offer-link", rows: 3, "aria-describedby": "offer-hint" }, initial);
  const button = h("button", { type: "submit" }, "Continue");
  const formEl = h("form", {}, h("label", { for: "offer-link" }, "Credential offer link"),
    h("p", { id: "offer-hint", class: "hint" }, "Paste an openid-credential-offer:// link, or open one from your issuer."), area, button);
  formEl.addEventListener("submit", (ev) => {
    ev.preventDefault();
    busy(button, showOffer(area.value, out).catch((err) => fill(out, alertBox(err.message, "Offer refused"))));
  });
  show("Receive a credential", formEl, out);
  if (initial) busy(button, showOffer(initial, out).catch((err) => fill(out, alertBox(err.message, "Offer refused"))));
}

export async function callbackPage(params) {
  show("Signing in…", h("p", {}, "Finishing your national ID login."));
  try {
    const config = await getConfig();
    const { issuerMeta, token, configurationId, clientId } = await finishAuthorization(params);
    const registry = await registryEntry(config.registry_url, issuerMeta.credential_issuer);
    const record = await obtainCredential(issuerMeta, token, configurationId, { clientId, context: { persona: await getSetting("persona") } });
    await enrich(record, registry);
    location.replace(`/credential/${record.id}?new=1`);
  } catch (err) {
    show("Not received", alertBox(err.message, "Login failed"), h("a", { href: "/receive" }, "Try again"));
  }
}
