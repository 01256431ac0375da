// OpenID4VCI 1.0 in the browser: Credential Offers (Section 4.1, by value and by reference),
// Credential Issuer Metadata (Section 12.2: `credential_issuer` must equal the identifier it was
// fetched for), OAuth AS metadata (RFC 8414), the pre-authorized code grant with `tx_code`
// (Section 6.1) or the authorization code grant with PAR (RFC 9126) and PKCE S256 (RFC 7636),
// the Nonce Endpoint (Section 7), a key proof `openid4vci-proof+jwt` (Appendix F.1) signed by a
// fresh non-extractable holder key, the Credential Endpoint (Section 8) and a notification (11).
import { MDOC_FORMAT, checkIssuerSigned, mdocTypeMetadata } from "./mdoc.js";
import { decodeSdJwt, verifyIssuerSignature } from "./sdjwt.js";
import { signJws } from "./jose.js";
import { addHistory, createHolderKey, getSetting, put, remove, setSetting } from "./store.js";
import { WalletError, b64uEncode, fetchJson, fetchChecked, nowSeconds, randomToken, sha256 } from "./util.js";

export const PRE_AUTH_GRANT = "urn:ietf:params:oauth:grant-type:pre-authorized_code";
export const CLIENT_ID = "lintas-wallet";

function httpUrl(value) {
  try {
    const url = new URL(value);
    return url.protocol === "https:" || url.protocol === "http:";
  } catch {
    return false;
  }
}

/** Parse an `openid-credential-offer://` link (or its bare query) into {offer} or {offerUri}. */
export function parseOfferLink(link) {
  const text = String(link || "").trim();
  const query = text.startsWith("openid-credential-offer://") ? text.slice(text.indexOf("?") + 1) : text.replace(/^\?/, "");
  const params = new URLSearchParams(query);
  if (params.has("credential_offer") === params.has("credential_offer_uri")) {
    throw new WalletError("bad_offer", "This is not a credential offer link.");
  }
  if (params.has("credential_offer_uri")) {
    const uri = params.get("credential_offer_uri");
    if (!httpUrl(uri)) throw new WalletError("bad_offer", "The credential offer address is not a web address.");
    return { offerUri: uri };
  }
  try {
    return { offer: JSON.parse(params.get("credential_offer")) };
  } catch {
    throw new WalletError("bad_offer", "The credential offer is not valid JSON.");
  }
}

function checkOffer(offer) {
  if (!offer || typeof offer !== "object" || !httpUrl(offer.credential_issuer)) throw new WalletError("bad_offer", "The offer names no credential issuer.");
  const ids = offer.credential_configuration_ids;
  if (!Array.isArray(ids) || !ids.length || !ids.every((i) => typeof i === "string")) throw new WalletError("bad_offer", "The offer names no credential.");
  if (!offer.grants || typeof offer.grants !== "object") throw new WalletError("bad_offer", "The offer has no grant.");
  return offer;
}

export async function resolveOffer(link) {
  const parsed = parseOfferLink(link);
  if (parsed.offer) return checkOffer(parsed.offer);
  return checkOffer(await fetchJson(parsed.offerUri, { headers: { Accept: "application/json" } }, "the credential issuer"));
}

function wellKnown(identifier, name) {
  const url = new URL(identifier);
  return `${url.origin}/.well-known/${name}${url.pathname.replace(/\/$/, "")}`;
}

export async function issuerMetadata(identifier) {
  const meta = await fetchJson(wellKnown(identifier, "openid-credential-issuer"), {}, "the credential issuer");
  if (meta.credential_issuer !== identifier) throw new WalletError("bad_metadata", "The issuer's metadata is for another issuer.");
  return meta;
}

export async function authServerMetadata(issuerMeta) {
  const as = (issuerMeta.authorization_servers || [issuerMeta.credential_issuer])[0];
  const meta = await fetchJson(wellKnown(as, "oauth-authorization-server"), {}, "the issuer's login service");
  if (meta.issuer !== as) throw new WalletError("bad_metadata", "The login service's metadata is for another server.");
  return meta;
}

function form(values) {
  return { method: "POST", headers: { "Content-Type": "application/x-www-form-urlencoded" }, body: new URLSearchParams(values).toString() };
}

export async function tokenWithPreAuthorizedCode(asMeta, offer, txCode) {
  const grant = offer.grants[PRE_AUTH_GRANT];
  const values = { grant_type: PRE_AUTH_GRANT, "pre-authorized_code": grant["pre-authorized_code"] };
  if (grant.tx_code) values.tx_code = txCode;
  try {
    return await fetchJson(asMeta.token_endpoint, form(values), "the issuer");
  } catch (err) {
    if (err.code === "invalid_grant" && grant.tx_code) {
      // receive.js tells wrong PIN, used, locked and expired apart from the issuer's description.
      const refused = new WalletError("invalid_grant", "The PIN is wrong, or the offer has expired or was already used.");
      refused.description = err.description || "";
      throw refused;
    }
    throw err;
  }
}

/** Start the authorization code flow: PAR, then the issuer's login page. Returns the URL to open. */
export async function startAuthorization(offer, issuerMeta, asMeta, redirectUri) {
  const verifier = randomToken(32);
  const challenge = b64uEncode(await sha256(verifier));
  const configurationId = offer.credential_configuration_ids[0];
  const scope = issuerMeta.credential_configurations_supported?.[configurationId]?.scope;
  const state = randomToken(16);
  const params = { response_type: "code", client_id: CLIENT_ID, redirect_uri: redirectUri, scope, state,
    code_challenge: challenge, code_challenge_method: "S256" };
  const issuerState = offer.grants.authorization_code?.issuer_state;
  if (issuerState) params.issuer_state = issuerState;
  const pushed = await fetchJson(asMeta.pushed_authorization_request_endpoint, form(params), "the issuer's login service");
  await setSetting("pending-authorization", { state, verifier, offer, redirectUri, configurationId });
  return `${asMeta.authorization_endpoint}?${new URLSearchParams({ client_id: CLIENT_ID, request_uri: pushed.request_uri })}`;
}

/** Finish the authorization code flow on the redirect back (state checked, code exchanged). */
export async function finishAuthorization(query) {
  const pending = await getSetting("pending-authorization");
  await setSetting("pending-authorization", null);
  if (!pending || query.get("state") !== pending.state) throw new WalletError("bad_state", "This login answer does not belong to a request of this wallet.");
  if (query.get("error")) throw new WalletError(query.get("error"), "The issuer's login was cancelled or refused.");
  const issuerMeta = await issuerMetadata(pending.offer.credential_issuer);
  const asMeta = await authServerMetadata(issuerMeta);
  const token = await fetchJson(asMeta.token_endpoint, form({ grant_type: "authorization_code", code: query.get("code") || "",
    redirect_uri: pending.redirectUri, client_id: CLIENT_ID, code_verifier: pending.verifier }), "the issuer");
  return { issuerMeta, token, configurationId: pending.configurationId, clientId: CLIENT_ID };
}

/** Nonce, holder key, proof, Credential Request; store and return the new credential record. */
export async function obtainCredential(issuerMeta, token, configurationId, { clientId = null, context = {} } = {}) {
  const nonce = issuerMeta.nonce_endpoint ? (await fetchJson(issuerMeta.nonce_endpoint, { method: "POST" }, "the issuer")).c_nonce : undefined;
  const key = await createHolderKey();
  const claims = { aud: issuerMeta.credential_issuer, iat: nowSeconds(), ...(nonce ? { nonce } : {}), ...(clientId ? { iss: clientId } : {}) };
  const proof = await signJws({ typ: "openid4vci-proof+jwt", jwk: key.publicJwk }, claims, key.privateKey);
  const answer = await fetchJson(issuerMeta.credential_endpoint, {
    method: "POST",
    headers: { "Content-Type": "application/json", Authorization: `Bearer ${token.access_token}` },
    body: JSON.stringify({ credential_configuration_id: configurationId, proofs: { jwt: [proof] } }),
  }, "the issuer");
  const raw = answer.credentials?.[0]?.credential;
  if (typeof raw !== "string") throw new WalletError("bad_credential", "The issuer answered without a credential.");
  const configuration = issuerMeta.credential_configurations_supported?.[configurationId];
  const record = configuration?.format === MDOC_FORMAT
    ? await storeMdoc(raw, key, issuerMeta, configuration, context)
    : await storeCredential(raw, key, issuerMeta, context);
  if (issuerMeta.notification_endpoint && answer.notification_id) {
    // Best effort: the credential is already ours whatever the issuer answers.
    fetchChecked(issuerMeta.notification_endpoint, { method: "POST", headers: { "Content-Type": "application/json",
      Authorization: `Bearer ${token.access_token}` }, body: JSON.stringify({ notification_id: answer.notification_id, event: "credential_accepted" }) }).catch(() => {});
  }
  return record;
}

async function storeCredential(raw, key, issuerMeta, context) {
  const decoded = await decodeSdJwt(raw);
  await verifyIssuerSignature(decoded.jwt);
  const cnf = decoded.payload.cnf?.jwk;
  if (!cnf || cnf.x !== key.publicJwk.x || cnf.y !== key.publicJwk.y) {
    await remove("keys", key.id);
    throw new WalletError("bad_credential", "The credential is not bound to this wallet's key.");
  }
  if (decoded.payload.iss !== issuerMeta.credential_issuer) throw new WalletError("bad_credential", "The credential names another issuer.");
  const record = {
    id: crypto.randomUUID(), format: "dc+sd-jwt", raw, keyId: key.id, claims: decoded.claims, payload: decoded.payload,
    header: decoded.header, issuerDisplay: issuerMeta.display || [], received: Date.now(), ...context,
  };
  await put("credentials", record);
  await addHistory({ kind: "issuance", credentialId: record.id, issuer: decoded.payload.iss, vct: decoded.payload.vct, persona: context.persona || null });
  return record;
}

/**
 * An `mso_mdoc` credential (OpenID4VCI 1.0 Appendix A.2.4), checked by mdoc.js against the
 * configuration's doctype and this wallet's key; refused (and its key forgotten) if any check fails.
 * The record mirrors an SD-JWT one where the cards read it: `payload` {iss, vct: doctype, exp, status}.
 */
async function storeMdoc(raw, key, issuerMeta, configuration, context) {
  let checked;
  try {
    checked = await checkIssuerSigned(raw, { doctype: configuration.doctype, holderJwk: key.publicJwk });
  } catch (err) {
    await remove("keys", key.id);
    throw err;
  }
  const payload = { iss: issuerMeta.credential_issuer, vct: checked.doctype, exp: Math.floor(checked.validUntil / 1000),
    nbf: Math.floor(checked.validFrom / 1000), ...(checked.status ? { status: checked.status } : {}) };
  const record = {
    id: crypto.randomUUID(), format: MDOC_FORMAT, raw, keyId: key.id, doctype: checked.doctype, claims: checked.claims, payload,
    header: { x5c: checked.x5c }, typeMetadata: mdocTypeMetadata(configuration), issuerDisplay: issuerMeta.display || [], received: Date.now(), ...context,
  };
  await put("credentials", record);
  await addHistory({ kind: "issuance", credentialId: record.id, issuer: payload.iss, vct: checked.doctype, persona: context.persona || null });
  return record;
}
