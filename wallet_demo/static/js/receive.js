// The receive flow: open or paste a Credential Offer, show who offers it, enter the PIN or log in
// at the national ID portal, then store the credential and show its card.
import { fetchTypeMetadata, registryCheck, registryEntry } from "./meta.js";
import { put, getSetting, setSetting } from "./store.js";
import { PRE_AUTH_GRANT, authServerMetadata, tokenWithPreAuthorizedCode, finishAuthorization, issuerMetadata, obtainCredential, resolveOffer, startAuthorization } from "./vci.js";
import { t, tn } from "./i18n.js";
import { alertBox, busy, countryTag, fill, getConfig, h, labelled, registryBadge, show } from "./ui.js";
import { scannerButton } from "./scan.js";
import { WalletError, b64uEncode, sha256 } from "./util.js";

function displayNames(meta) {
  const out = {};
  for (const d of meta.display || []) out[d.locale] = d.name;
  return out;
}

/** Store type metadata, country and the registry's verdict with a new credential. */
export async function enrich(record, registry) {
  const p = record.payload;
  // An mdoc's labels come with it from the issuer's configuration (vci.js); its doctype is no URL.
  if (record.format !== "mso_mdoc") record.typeMetadata = await fetchTypeMetadata(p.vct, p.iss, p["vct#integrity"]);
  record.registry = await registryCheck((await getConfig()).registry_url, record);
  const own = record.format === "mso_mdoc" ? Object.values(record.claims)[0] || {} : record.claims;
  record.country = registry.country || own.issuing_country || own.country || "";
  await put("credentials", record);
  return record;
}

/**
 * Redeem the pre-authorized code, telling apart what the issuer's one `invalid_grant` covers
 * (OpenID4VCI 1.0 Section 6.3): a wrong PIN ("Wrong tx_code"), an offer this wallet already
 * redeemed, one the issuer voided after wrong PINs here, and one expired or used elsewhere.
 * The wallet remembers offers by the SHA-256 of their code, never the code itself.
 */
async function redeem(asMeta, offer, pin) {
  const key = `offer:${b64uEncode(await sha256(offer.grants[PRE_AUTH_GRANT]["pre-authorized_code"]))}`;
  const memory = (await getSetting(key)) || { failures: 0, redeemed: false };
  try {
    const token = await tokenWithPreAuthorizedCode(asMeta, offer, pin);
    await setSetting(key, { ...memory, redeemed: true });
    return token;
  } catch (err) {
    if (err.code !== "invalid_grant") throw err;
    const description = err.description || "";
    if (/wrong tx_code/i.test(description)) {
      await setSetting(key, { ...memory, failures: memory.failures + 1 });
      // The issuer says how many tries remain ("N attempts left"), or that the last one voided the offer.
      if (/no attempts left/i.test(description)) throw new WalletError("offer_locked", t("offer.locked"));
      const left = /(\d+) attempts? left/i.exec(description);
      if (left) throw new WalletError("tx_code_wrong", tn("offer.pin_left", Number(left[1])));
      throw new WalletError("tx_code_wrong", tn("offer.pin_wrong", memory.failures + 1));
    }
    if (memory.redeemed) throw new WalletError("offer_used", t("offer.used"));
    if (memory.failures > 0) throw new WalletError("offer_locked", t("offer.locked"));
    // "invalid, expired or already used" says nothing; only a lost redemption race says "was already used".
    if (/was already used/i.test(err.description || "")) throw new WalletError("offer_used", t("offer.used"));
    throw new WalletError("offer_expired", t("offer.expired"));
  }
}

async function receive(offer, issuerMeta, registry, pin) {
  const asMeta = await authServerMetadata(issuerMeta);
  const token = await redeem(asMeta, offer, pin);
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
    const button = h("button", { type: "submit" }, t("offer.receive"));
    const formEl = h("form", {}, tx ? [h("label", { for: "pin" }, t("offer.pin")), h("p", { id: "pin-hint", class: "hint" }, t("offer.pin_hint")), input] : null, button);
    formEl.addEventListener("submit", (ev) => {
      ev.preventDefault();
      fill(out, h("p", { role: "status", class: "progress" }, t("offer.receiving")));
      busy(button, receive(offer, issuerMeta, registry, input?.value.trim()).catch((err) => fill(out, alertBox(err.message, t("offer.not_received")))));
    });
    panel.append(formEl);
  }
  if (offer.grants.authorization_code || !pre) {
    const login = h("button", { type: "button", class: pre ? "secondary" : null }, t("offer.login"));
    login.addEventListener("click", () => busy(login, (async () => {
      const asMeta = await authServerMetadata(issuerMeta);
      location.assign(await startAuthorization(offer, issuerMeta, asMeta, `${location.origin}/callback`));
    })().catch((err) => fill(out, alertBox(err.message, t("offer.login_failed"))))));
    panel.append(h("p", { class: "hint" }, t("offer.or_login")), login);
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
      h("h2", { id: "offer-title" }, t("offer.title")),
      h("p", {}, h("strong", {}, t("offer.from")), " ", labelled(names, registry.country, offer.credential_issuer)),
      h("p", {}, h("strong", {}, t("offer.country")), " ", countryTag(registry.country)),
      h("p", {}, registryBadge(registry)),
      h("p", {}, h("strong", {}, t("offer.credential")), " ", typeName)),
    registry.listed ? null : h("div", { class: "warning", role: "note" }, t("offer.unlisted")),
    grantPanel(offer, issuerMeta, registry, errors), errors);
}

export async function receivePage(params) {
  const initial = params.get("offer") || (params.has("credential_offer_uri") || params.has("credential_offer") ? `openid-credential-offer://?${params}` : "");
  const out = h("div", { id: "offer-area" });
  const area = h("textarea", { id: "offer-link", rows: 3, "aria-describedby": "offer-hint" }, initial);
  const button = h("button", { type: "submit" }, t("share.continue"));
  const formEl = h("form", {}, h("label", { for: "offer-link" }, t("offer.link_label")),
    h("p", { id: "offer-hint", class: "hint" }, t("offer.link_hint")), area, button);
  const open = (link) => {
    fill(out, h("p", { role: "status", class: "progress" }, t("offer.loading")));
    return showOffer(link, out).catch((err) => fill(out, alertBox(err.message, t("offer.refused"))));
  };
  formEl.addEventListener("submit", (ev) => {
    ev.preventDefault();
    busy(button, open(area.value));
  });
  formEl.append(scannerButton((text) => {
    area.value = text;
    busy(button, open(text));
  }));
  show(t("offer.page_title"), formEl, out);
  if (initial) busy(button, open(initial));
}

export async function callbackPage(params) {
  show(t("offer.signing_in"), h("p", { role: "status", class: "progress" }, t("offer.finishing_login")));
  try {
    const config = await getConfig();
    const { issuerMeta, token, configurationId, clientId } = await finishAuthorization(params);
    const registry = await registryEntry(config.registry_url, issuerMeta.credential_issuer);
    const record = await obtainCredential(issuerMeta, token, configurationId, { clientId, context: { persona: await getSetting("persona") } });
    await enrich(record, registry);
    location.replace(`/credential/${record.id}?new=1`);
  } catch (err) {
    show(t("offer.not_received"), alertBox(err.message, t("offer.login_failed")), h("a", { href: "/receive" }, t("offer.try_again")));
  }
}
