// OpenID4VP 1.0 in the browser: the invocation link (Section 5; only signed requests by
// `request_uri` are accepted), fetching the Request Object with `request_uri_method=post` and a
// `wallet_nonce` (Section 5.10), its checks (JAR `typ: oauth-authz-req+jwt`, ES256, certificate
// chain to a pinned relying-party CA, Client Identifier prefixes `x509_san_dns`/`x509_hash`,
// Section 5.9.3), and the response by `direct_post` or `direct_post.jwt` (Sections 8.2, 8.3.1),
// following `redirect_uri` for same-device flows.
import { encryptJwe, encryptionParams } from "./jwe.js";
import { parseJws, verifyJws } from "./jose.js";
import { relyingParty } from "./rpinfo.js";
import { certificateKey, checkClientId, validateChain } from "./x509.js";
import { WalletError, fetchChecked, nowSeconds, randomToken } from "./util.js";

const JAR_TYP = "oauth-authz-req+jwt";
const MODES = ["direct_post", "direct_post.jwt"];
// mso_mdoc: COSE ES256 (-7) for issuerAuth and deviceSignature (OpenID4VP 1.0 Appendix B.2.2).
const WALLET_METADATA = { vp_formats_supported: { "dc+sd-jwt": { "sd-jwt_alg_values": ["ES256"], "kb-jwt_alg_values": ["ES256"] },
  mso_mdoc: { issuerauth_alg_values: [-7], deviceauth_alg_values: [-7] } } };

/** Parse an `openid4vp://` link (or its bare query) into {clientId, requestUri, method}. */
export function parseRequestLink(link) {
  const text = String(link || "").trim();
  const query = text.includes("?") ? text.slice(text.indexOf("?") + 1) : text;
  const params = new URLSearchParams(query);
  const clientId = params.get("client_id");
  const requestUri = params.get("request_uri");
  if (!clientId || !requestUri) {
    if (params.has("dcql_query") || params.has("response_uri")) {
      throw new WalletError("unsigned_request", "This request is not signed. The wallet only answers signed requests.");
    }
    throw new WalletError("bad_request", "This is not a presentation request link.");
  }
  const method = params.get("request_uri_method") || "get";
  if (!["get", "post"].includes(method)) throw new WalletError("invalid_request_uri_method", "The request link names an unknown method.");
  try {
    const url = new URL(requestUri);
    if (!["http:", "https:"].includes(url.protocol)) throw new Error();
  } catch {
    throw new WalletError("bad_request", "The request address is not a web address.");
  }
  return { clientId, requestUri, method };
}

/** Fetch the Request Object (POST with wallet_nonce and wallet_metadata when asked). */
export async function fetchRequestObject(link) {
  const walletNonce = link.method === "post" ? randomToken(16) : null;
  const options = { headers: { Accept: "application/oauth-authz-req+jwt" } };
  if (walletNonce) {
    Object.assign(options, { method: "POST", body: new URLSearchParams({ wallet_nonce: walletNonce, wallet_metadata: JSON.stringify(WALLET_METADATA) }).toString() });
    options.headers["Content-Type"] = "application/x-www-form-urlencoded";
  }
  const response = await fetchChecked(link.requestUri, options, "the verifier");
  const text = await response.text();
  if (!response.ok) throw new WalletError("request_unavailable", "The verifier no longer offers this request (it may have expired or been answered).");
  return { token: text.trim(), walletNonce };
}

function checkClaims(claims, link, walletNonce) {
  const fail = (m) => new WalletError("bad_request", m);
  if (claims.client_id !== link.clientId) throw new WalletError("bad_client_id", "The request names another client than its link.");
  if (walletNonce && claims.wallet_nonce !== walletNonce) throw fail("The request does not answer this wallet's nonce.");
  if (claims.response_type !== "vp_token" || !MODES.includes(claims.response_mode)) throw fail("The request asks for an unsupported response.");
  if (!webUrl(claims.response_uri) || "redirect_uri" in claims) throw fail("The request has no valid response address.");
  if (typeof claims.nonce !== "string" || !/^[A-Za-z0-9._~-]{1,512}$/.test(claims.nonce)) throw fail("The request has no valid nonce.");
  if (!claims.dcql_query || typeof claims.dcql_query !== "object") throw fail("The request does not say what it asks for.");
  if (typeof claims.exp === "number" && claims.exp <= nowSeconds()) throw fail("The request has expired.");
  if (claims.aud !== undefined && claims.aud !== "https://self-issued.me/v2") throw fail("The request is addressed to another wallet.");
}

/** Verify signature, certificate, client identifier and claims; return the request with who asks. */
export async function verifyRequest(token, link, walletNonce, anchors) {
  const { header } = parseJws(token);
  if (header.typ !== JAR_TYP) throw new WalletError("bad_request", "The request is not a signed authorization request.");
  const leaf = await validateChain(header.x5c, anchors, nowSeconds());
  const { payload } = await verifyJws(token, await certificateKey(leaf), { typ: JAR_TYP });
  await checkClientId(link.clientId, leaf, payload.response_uri);
  checkClaims(payload, link, walletNonce);
  // Who asks: the registration the verifier vouches for (verifier_info), else what the request proves.
  return { claims: payload, verifier: relyingParty(payload, leaf, link.clientId) };
}

/** Only http(s) URLs may be followed or linked (never `javascript:` or other schemes). */
function webUrl(value) {
  if (typeof value !== "string") return null;
  try {
    const url = new URL(value);
    return url.protocol === "https:" || url.protocol === "http:" ? url.href : null;
  } catch {
    return null;
  }
}

async function post(uri, values) {
  const response = await fetchChecked(uri, { method: "POST", headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams(values).toString() }, "the verifier");
  let body = {};
  try {
    body = await response.json();
  } catch {
    body = {};
  }
  return { ok: response.ok, status: response.status, body };
}

/** Send `vpToken` in the requested response mode; return {ok, redirectUri}. */
export async function sendResponse(request, vpToken) {
  const claims = request.claims;
  const params = { vp_token: vpToken, state: claims.state };
  let values;
  if (claims.response_mode === "direct_post.jwt") {
    const { key, encName } = encryptionParams(claims.client_metadata);
    values = { response: await encryptJwe(params, key, encName) };
  } else {
    values = { vp_token: JSON.stringify(vpToken), ...(claims.state ? { state: claims.state } : {}) };
  }
  const answer = await post(claims.response_uri, values);
  return { ok: answer.ok, redirectUri: webUrl(answer.body.redirect_uri) };
}

/** Tell the verifier the user declined (Section 8.5, `access_denied`); return {ok, redirectUri}. */
export async function sendDecline(request) {
  const claims = request.claims;
  const values = { error: "access_denied", error_description: "The user declined", ...(claims.state ? { state: claims.state } : {}) };
  let answer;
  if (claims.response_mode === "direct_post.jwt") {
    const { key, encName } = encryptionParams(claims.client_metadata);
    answer = await post(claims.response_uri, { response: await encryptJwe(values, key, encName) });
  } else {
    answer = await post(claims.response_uri, values);
  }
  return { ok: answer.ok, redirectUri: webUrl(answer.body.redirect_uri) };
}
