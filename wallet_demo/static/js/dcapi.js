// The wallet answering over the W3C Digital Credentials API (OpenID4VP 1.0 Appendix A).
// The browser (here the test provider, tests/e2e/dc-test-provider.js, standing in for a platform
// wallet) opens this page at `#dcapi` and posts `{protocol, data: {request}}`. The caller's origin
// is the one the browser authenticates: `MessageEvent.origin`, never a value the page sent. The
// request passes the same checks as a link's (vp.js: JAR `typ`, chain to a pinned relying-party
// CA, signature, Client Identifier), then those of Appendix A: protocol `openid4vp-v1-signed`,
// response mode `dc_api`/`dc_api.jwt`, and the caller's origin among `expected_origins`
// (A.2: else an error, `invalid_request`). Consent is present.js's; an SD-JWT VC presentation's
// audience is `origin:<origin>` (A.4), an mdoc's DeviceResponse is signed over the DC API
// SessionTranscript (B.2.6.2); the answer is encrypted for `dc_api.jwt` (Section 8.3) and goes
// back to the caller only (`postMessage` to that origin), never to a `response_uri`.
import { showRequest } from "./present.js";
import { encryptJwe, encryptionParams } from "./jwe.js";
import { relyingParty } from "./rpinfo.js";
import { t } from "./i18n.js";
import { alertBox, fill, h, show } from "./ui.js";
import { checkClientId } from "./x509.js";
import { verifySigned } from "./vp.js";
import { WalletError, nowSeconds } from "./util.js";

export const PROTOCOL = "openid4vp-v1-signed";
export const MESSAGES = { ready: "lintas-dcapi-ready", request: "lintas-dcapi-request", response: "lintas-dcapi-response" };
const MODES = ["dc_api", "dc_api.jwt"];
const MAX_REQUEST_CHARS = 64 * 1024;

function bad(message) {
  return new WalletError("bad_request", message);
}

/** Section 5.9.3: over the DC API the `x509_san_dns` rule on the response address does not apply (there is none). */
async function checkDcClientId(clientId, leaf) {
  if (typeof clientId !== "string") throw new WalletError("bad_client_id", "The request names no client.");
  if (clientId.startsWith("x509_san_dns:")) {
    if (!leaf.dnsNames.includes(clientId.slice("x509_san_dns:".length))) throw new WalletError("bad_client_id", "The client identifier is not a DNS name of the request's certificate.");
    return;
  }
  await checkClientId(clientId, leaf, null); // x509_hash, or refused
}

function checkDcClaims(claims, origin) {
  if (claims.response_type !== "vp_token" || !MODES.includes(claims.response_mode)) throw bad("The request asks for an unsupported response.");
  if (typeof claims.nonce !== "string" || !/^[A-Za-z0-9._~-]{1,512}$/.test(claims.nonce)) throw bad("The request has no valid nonce.");
  if (!claims.dcql_query || typeof claims.dcql_query !== "object") throw bad("The request does not say what it asks for.");
  if (typeof claims.exp === "number" && claims.exp <= nowSeconds()) throw bad("The request has expired.");
  if (claims.aud !== undefined && claims.aud !== "https://self-issued.me/v2") throw bad("The request is addressed to another wallet.");
  const expected = claims.expected_origins;
  if (!Array.isArray(expected) || !expected.length) throw bad("The request names no expected origins.");
  // Exact comparison with the serialized origin the browser reported (A.2): a replay from elsewhere fails here.
  if (!expected.includes(origin)) throw new WalletError("origin_mismatch", `The request was not made for the page at ${origin}.`);
}

/** Verify a DC API request `{protocol, data: {request}}` made by the page at `origin`; return it with who asks. */
export async function verifyDcRequest(dcRequest, origin, anchors) {
  if (dcRequest?.protocol !== PROTOCOL) throw new WalletError("unsigned_request", "The wallet only answers signed requests.");
  const token = dcRequest.data?.request;
  if (typeof token !== "string" || token.length > MAX_REQUEST_CHARS) throw bad("The request is not a signed request object.");
  const { payload, leaf } = await verifySigned(token, anchors);
  await checkDcClientId(payload.client_id, leaf);
  checkDcClaims(payload, origin);
  return { claims: payload, verifier: relyingParty(payload, leaf, payload.client_id) };
}

/** The `data` of the answer (A.4): `{response}` encrypted for `dc_api.jwt`, else `{vp_token}`. */
export async function responseData(claims, vpToken) {
  if (claims.response_mode !== "dc_api.jwt") return { vp_token: vpToken };
  const { key, encName } = encryptionParams(claims.client_metadata);
  return { response: await encryptJwe({ vp_token: vpToken }, key, encName) };
}

/** The transport of present.js for one DC API call: the answer goes back to `reply`, audience `origin:<origin>`. */
export function dcTransport(dcRequest, origin, reply) {
  return {
    label: null,
    load: (anchors) => verifyDcRequest(dcRequest, origin, anchors),
    audience: () => `origin:${origin}`,
    async mdocTranscript(request) {
      const { dcApiSessionTranscript } = await import("./mdoc.js"); // B.2.6.2; loaded only for an mdoc
      const claims = request.claims;
      const encryptionJwk = claims.response_mode === "dc_api.jwt" ? encryptionParams(claims.client_metadata).key : null;
      return dcApiSessionTranscript({ origin, nonce: claims.nonce, encryptionJwk });
    },
    async send(request, vpToken) {
      reply(await responseData(request.claims, vpToken));
      return { ok: true, redirectUri: null };
    },
    async decline() {
      reply({ error: "access_denied" });
      return { ok: true, redirectUri: null };
    },
    // A.2: a request that fails its checks (its origin among them) is answered `invalid_request`, nothing more.
    refused: async () => reply({ error: "invalid_request" }),
    sent: (name) => t("dcapi.handed", { name }),
  };
}

/** The `#dcapi` page: wait for one request from the window that opened this one, then check, consent, answer. */
export function dcApiPage() {
  const caller = window.opener;
  const out = h("div", { id: "request-area", "aria-live": "polite" });
  if (!caller) {
    show(t("dcapi.title"), alertBox(t("dcapi.no_caller"), t("share.request_refused")));
    return;
  }
  show(t("dcapi.title"), out);
  fill(out, h("p", { role: "status", class: "progress" }, t("dcapi.waiting")));
  let taken = false;
  window.addEventListener("message", (event) => {
    if (taken || event.source !== caller || event.data?.type !== MESSAGES.request) return;
    taken = true; // one request per opening: a second message cannot swap the request under consent
    const origin = event.origin;
    let answered = false;
    const reply = (data) => {
      if (answered) return;
      answered = true;
      // Only the caller's origin receives it: had the opener navigated away, the message is dropped.
      caller.postMessage({ type: MESSAGES.response, protocol: PROTOCOL, data }, origin);
    };
    const request = { protocol: event.data.protocol, data: event.data.data };
    out.before(h("p", { class: "hint", "data-testid": "dc-origin" }, t("dcapi.from", { origin })));
    showRequest(dcTransport(request, origin, reply), out).catch((err) => fill(out, alertBox(err.message, t("share.request_refused"))));
  });
  // "Ready" carries nothing: the request is posted back to this window by its opener only.
  caller.postMessage({ type: MESSAGES.ready }, "*");
}
