// The present flow: open or paste an `openid4vp://` request, check it, show who asks, why and
// exactly which claims (optional ones as checkboxes), then sign the KB-JWT and answer.
import { chosenPaths, planPresentation } from "./dcql.js";
import { claimLabels, typeNames } from "./labels.js";
import { checkStatus } from "./meta.js";
import { decodeSdJwt, present } from "./sdjwt.js";
import { pinState, verifyPin } from "./pin.js";
import { addHistory, all, get } from "./store.js";
import { alertBox, busy, countryTag, fill, getConfig, h, issuerName, labelled, show, statusBadge } from "./ui.js";
import { fetchRequestObject, parseRequestLink, sendDecline, sendResponse, verifyRequest } from "./vp.js";
import { WalletError, nowSeconds } from "./util.js";

// Credentials their issuer has withdrawn are never presented (issue #12 class 7): the verifier
// would refuse them, and sending one only tells it more about the holder.
const BLOCKED = ["revoked", "suspended"];

function claimRow(credential, spec, required, index) {
  const labels = claimLabels(credential.typeMetadata, spec.path);
  const id = `claim-${index}-${spec.id.replace(/[^A-Za-z0-9_-]/g, "_")}`;
  const box = h("input", { type: "checkbox", id, value: spec.id, checked: required || spec.preferred, disabled: required, "data-optional": required ? null : "true" });
  return h("label", { for: id }, box, h("span", {}, labelled(labels, credential.country, spec.path.join(" › "))), required ? h("span", { class: "hint" }, "(required)") : h("span", { class: "hint" }, "(optional)"));
}

async function candidateBlock(candidate, index) {
  const { credential, match } = candidate;
  const status = await checkStatus(credential);
  const el = h("div", { "data-candidate": String(index), hidden: index > 0 },
    h("p", {}, countryTag(credential.country), " ", statusBadge(status.status)),
    match.required.map((c) => claimRow(credential, c, true, index)),
    match.optional.map((c) => claimRow(credential, c, false, index)));
  if (BLOCKED.includes(status.status)) {
    el.append(h("div", { class: "warning", role: "note" }, `This credential has been ${status.status} by its issuer; the wallet will not share it.`));
  }
  return { el, candidate, status };
}

function describe(credential) {
  const received = new Date(credential.received).toLocaleString("en-GB", { dateStyle: "medium", timeStyle: "medium" });
  return `${typeNames(credential.typeMetadata).en || credential.payload.vct} from ${issuerName(credential)}, received ${received}`;
}

/** One Credential Query: which credential (when several match) and which of its claims. */
async function answerPanel(item) {
  const blocks = await Promise.all(item.all.map(candidateBlock));
  let chosen = 0;
  const fieldset = h("fieldset", { "data-query": item.query.id }, h("legend", {}, describe(item.credential)));
  if (blocks.length > 1) {
    const group = h("div", { role: "radiogroup", "aria-label": "Which credential to use" });
    blocks.forEach((block, i) => {
      const id = `pick-${item.query.id}-${i}`.replace(/[^A-Za-z0-9_-]/g, "_");
      const radio = h("input", { type: "radio", id, name: `pick-${item.query.id}`, value: String(i), checked: i === 0 });
      radio.addEventListener("change", () => {
        chosen = i;
        blocks.forEach((b, j) => { b.el.hidden = j !== i; });
        fieldset.querySelector("legend").textContent = describe(block.candidate.credential);
      });
      group.append(h("label", { for: id }, radio, h("span", {}, describe(block.candidate.credential), " "), statusBadge(block.status.status)));
    });
    fieldset.append(h("p", { class: "hint" }, "You have several credentials that answer this request. Choose one:"), group);
  }
  fieldset.append(...blocks.map((b) => b.el));
  return { fieldset, selected: () => blocks[chosen] };
}

/** Refuse before anything is signed: a withdrawn credential, then a wrong or locked PIN. */
async function checkBeforeSharing(panels, pinField) {
  const blocked = panels.map((p) => p.selected().status.status).find((s) => BLOCKED.includes(s));
  if (blocked === "revoked") throw new WalletError("revoked", "This credential has been revoked by its issuer, so the wallet will not share it. Ask your issuer for a new one.");
  if (blocked) throw new WalletError("suspended", "This credential is suspended by its issuer, so the wallet will not share it until the issuer reinstates it.");
  await verifyPin(pinField ? pinField.value : ""); // passes only when no PIN is set
}

async function share(request, plan, panels, out, pinField) {
  await checkBeforeSharing(panels, pinField);
  const vpToken = {};
  const shared = [];
  for (const [i, item] of plan.answer.entries()) {
    const block = panels[i].selected();
    const { credential, match } = block.candidate;
    const optional = [...block.el.querySelectorAll("input[data-optional]:checked")].map((b) => b.value);
    const paths = chosenPaths(match, optional);
    const key = await get("keys", credential.keyId);
    const decoded = await decodeSdJwt(credential.raw);
    const { presentation } = await present(decoded, paths, { nonce: request.claims.nonce, aud: request.claims.client_id, key: key.privateKey, iat: nowSeconds() });
    vpToken[item.query.id] = [presentation];
    shared.push(...paths.map((p) => p.join(".")));
  }
  const result = await sendResponse(request, vpToken);
  await addHistory({ kind: "presentation", verifier: request.verifier.name, country: request.verifier.country, claims: shared, accepted: result.ok });
  if (result.ok && result.redirectUri) {
    location.assign(result.redirectUri);
    return;
  }
  fill(out, result.ok
    ? h("div", { class: "notice", role: "status", "data-testid": "sent" }, `Shared with ${request.verifier.name}. The verifier accepted your response.`)
    : alertBox("The verifier refused the presentation.", "Not accepted"),
    result.redirectUri ? h("a", { class: "button secondary", href: result.redirectUri }, "Return to the service") : null);
}

async function showRequest(linkText, out) {
  const config = await getConfig();
  let request;
  try {
    const link = parseRequestLink(linkText);
    const { token, walletNonce } = await fetchRequestObject(link);
    request = await verifyRequest(token, link, walletNonce, config.rp_anchors);
  } catch (err) {
    await addHistory({ kind: "refused", reason: err.message });
    fill(out, alertBox(err.message, "Request refused"));
    return;
  }
  // Newest first: after a re-issuance the fresh credential answers, not the one it replaced.
  const credentials = (await all("credentials")).filter((c) => c.format === "dc+sd-jwt").sort((a, b) => b.received - a.received);
  const plan = planPresentation(request.claims.dcql_query, credentials);
  const who = h("section", { class: "panel", "aria-labelledby": "who", "data-testid": "request" },
    h("h2", { id: "who" }, "Who asks"),
    h("p", { "data-testid": "verifier-name" }, h("strong", {}, request.verifier.name)),
    h("p", { "data-testid": "verifier-operator" }, "Verified by ", request.verifier.operator, " · ", countryTag(request.verifier.country)),
    h("p", { class: "hint" }, `Client identifier: ${request.verifier.clientId}`),
    h("h2", {}, "Why"), h("p", { "data-testid": "purpose" }, request.claims.purpose || "No purpose given."));
  if (!plan.satisfiable) {
    fill(out, who, alertBox("You have no credential that answers this request.", "Cannot answer"));
    return;
  }
  const panels = await Promise.all(plan.answer.map(answerPanel));
  const errors = h("div", { "aria-live": "polite" });
  const shareButton = h("button", { type: "submit" }, "Share");
  const decline = h("button", { type: "button", class: "secondary" }, "Decline");
  const pin = await pinState();
  const pinField = pin.set ? h("input", { id: "wallet-pin", type: "password", inputmode: "numeric", autocomplete: "off", maxlength: 12, required: true }) : null;
  const formEl = h("form", { "aria-labelledby": "what" }, h("h2", { id: "what" }, "What will be shared"), panels.map((p) => p.fieldset),
    pinField ? [h("label", { for: "wallet-pin" }, "Wallet PIN"), pinField] : null, shareButton, decline);
  formEl.addEventListener("submit", (ev) => {
    ev.preventDefault();
    busy(shareButton, share(request, plan, panels, errors, pinField).catch((err) => fill(errors, alertBox(err.message, "Not sent"))));
  });
  decline.addEventListener("click", () => busy(decline, (async () => {
    const answer = await sendDecline(request);
    await addHistory({ kind: "declined", verifier: request.verifier.name, country: request.verifier.country });
    fill(errors, h("div", { class: "notice", role: "status" }, "You declined. Nothing was shared."),
      answer.redirectUri ? h("a", { class: "button secondary", href: answer.redirectUri }, "Return to the service") : null);
  })().catch((err) => fill(errors, alertBox(err.message, "Not sent")))));
  fill(out, who, formEl, errors);
}

export async function presentPage(params) {
  const initial = params.has("request_uri") || params.has("client_id") ? `openid4vp://?${params}` : params.get("request") || "";
  const out = h("div", { id: "request-area" });
  const area = h("textarea", { id: "request-link", rows: 3, "aria-describedby": "request-hint" }, initial);
  const button = h("button", { type: "submit" }, "Continue");
  const formEl = h("form", {}, h("label", { for: "request-link" }, "Presentation request link"),
    h("p", { id: "request-hint", class: "hint" }, "Paste an openid4vp:// link shown by the service, or scan its QR code."), area, button);
  formEl.addEventListener("submit", (ev) => {
    ev.preventDefault();
    busy(button, showRequest(area.value, out));
  });
  show("Present a credential", formEl, out);
  if (initial) busy(button, showRequest(initial, out));
}
