// The present flow: open or paste an `openid4vp://` request, check it, show who asks, why, for how
// long and exactly which claims with the values that would leave (optional ones as checkboxes),
// then check the wallet PIN, sign the KB-JWT and answer (OpenID4VP 1.0 Sections 5, 6, 8).
import { chosenPaths, planPresentation } from "./dcql.js";
import { alternativesHint, cannotAnswer, claimRow, whoPanel } from "./consent.js";
import { typeNames } from "./labels.js";
import { pinMessage } from "./lock.js";
import { scannerButton } from "./scan.js";
import { checkStatus } from "./meta.js";
import { decodeSdJwt, present } from "./sdjwt.js";
import { pinState, verifyPin } from "./pin.js";
import { addHistory, all, get } from "./store.js";
import { formatMoment, language, t } from "./i18n.js";
import { alertBox, busy, countryTag, effectiveStatus, fill, getConfig, h, issuerName, show, statusBadge } from "./ui.js";
import { fetchRequestObject, parseRequestLink, sendDecline, sendResponse, verifyRequest } from "./vp.js";
import { encryptionParams } from "./jwe.js";
import { WalletError, nowSeconds } from "./util.js";

// Credentials their issuer has withdrawn, or past their validity, are never presented (issue #12
// class 7): the verifier would refuse them, and sending one only tells it more about the holder.
const BLOCKED = ["revoked", "suspended", "expired"];

async function candidateBlock(candidate, index) {
  const { credential, match } = candidate;
  const status = effectiveStatus((await checkStatus(credential)).status, credential);
  const el = h("div", { "data-candidate": String(index), hidden: index > 0 },
    h("p", {}, countryTag(credential.country), " ", statusBadge(status)),
    alternativesHint(credential, match),
    match.required.map((c) => claimRow(credential, c, true, index)),
    match.optional.map((c) => claimRow(credential, c, false, index)));
  if (BLOCKED.includes(status)) el.append(h("div", { class: "warning", role: "note" }, t(`share.blocked_${status}`)));
  return { el, candidate, status };
}

function describe(credential) {
  const names = typeNames(credential.typeMetadata);
  return t("share.credential", { type: names[language()] || names.en || credential.payload.vct, issuer: issuerName(credential), received: formatMoment(credential.received) });
}

/** One Credential Query: which credential (when several match) and which of its claims. */
async function answerPanel(item) {
  const blocks = await Promise.all(item.all.map(candidateBlock));
  let chosen = 0;
  const fieldset = h("fieldset", { "data-query": item.query.id }, h("legend", {}, describe(item.credential)));
  if (blocks.length > 1) {
    const group = h("div", { role: "radiogroup", "aria-label": t("share.which") });
    blocks.forEach((block, i) => {
      const id = `pick-${item.query.id}-${i}`.replace(/[^A-Za-z0-9_-]/g, "_");
      const radio = h("input", { type: "radio", id, name: `pick-${item.query.id}`, value: String(i), checked: i === 0 });
      radio.addEventListener("change", () => {
        chosen = i;
        blocks.forEach((b, j) => { b.el.hidden = j !== i; });
        fieldset.querySelector("legend").textContent = describe(block.candidate.credential);
      });
      group.append(h("label", { for: id }, radio, h("span", {}, describe(block.candidate.credential), " "), statusBadge(block.status)));
    });
    fieldset.append(h("p", { class: "hint" }, t("share.several")), group);
  }
  fieldset.append(...blocks.map((b) => b.el));
  return { fieldset, selected: () => blocks[chosen] };
}

async function presentSdJwt(request, credential, paths, privateKey) {
  const decoded = await decodeSdJwt(credential.raw);
  const { presentation } = await present(decoded, paths, { nonce: request.claims.nonce, aud: request.claims.client_id, key: privateKey, iat: nowSeconds() });
  return presentation;
}

/** An mdoc answers with a DeviceResponse over the request's SessionTranscript (OpenID4VP 1.0 Appendix B.2.5, B.2.6.1). */
async function presentMdoc(request, credential, paths, privateKey) {
  const { deviceResponse, sessionTranscript } = await import("./mdoc.js");
  const claims = request.claims;
  const encryptionJwk = claims.response_mode === "direct_post.jwt" ? encryptionParams(claims.client_metadata).key : null;
  const transcript = await sessionTranscript({ clientId: claims.client_id, nonce: claims.nonce, responseUri: claims.response_uri, encryptionJwk });
  return deviceResponse(credential, paths, privateKey, transcript);
}

/** Refuse before anything is signed: a withdrawn or expired credential, then a wrong or locked PIN. */
async function checkBeforeSharing(panels, pinField) {
  const blocked = panels.map((p) => p.selected().status).find((s) => BLOCKED.includes(s));
  if (blocked) throw new WalletError(blocked, t(`share.refuse_${blocked}`));
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
    vpToken[item.query.id] = [credential.format === "mso_mdoc"
      ? await presentMdoc(request, credential, paths, key.privateKey)
      : await presentSdJwt(request, credential, paths, key.privateKey)];
    shared.push(...paths.map((p) => p.join(".")));
  }
  fill(out, h("p", { role: "status", class: "progress" }, t("share.sending")));
  const result = await sendResponse(request, vpToken);
  await addHistory({ kind: "presentation", verifier: request.verifier.name, country: request.verifier.country, claims: shared, accepted: result.ok });
  if (result.ok && result.redirectUri) {
    location.assign(result.redirectUri);
    return;
  }
  fill(out, result.ok
    ? h("div", { class: "notice", role: "status", "data-testid": "sent" }, t("share.accepted", { name: request.verifier.name }))
    : alertBox(t("share.refused_by_verifier"), t("share.not_accepted")),
    result.redirectUri ? h("a", { class: "button secondary", href: result.redirectUri }, t("share.return")) : null);
}

function shareMessage(err) {
  return err?.code?.startsWith("pin_") ? pinMessage(err) : err.message;
}

/** Where `credential_sets` leave the holder a choice: one radio group per such set (OpenID4VP 1.0 Section 6.2). */
function setChoices(plan, replan) {
  const groups = [];
  plan.sets.forEach((set, i) => {
    const choices = set.usable.map((k) => ({ value: k, text: set.options[k].map((id) => describeQuery(plan, id)).join(" + ") }));
    if (!set.required) choices.push({ value: -1, text: t("share.set_none") });
    if (choices.length < 2) return;
    const name = `set-${i}`;
    const group = h("fieldset", { "data-set": String(i) }, h("legend", {}, t(set.required ? "share.set_one_of" : "share.set_optional")));
    for (const choice of choices) {
      const id = `${name}-${choice.value}`.replace("-1", "none");
      const radio = h("input", { type: "radio", id, name, value: String(choice.value), checked: choice.value === set.chosen });
      radio.addEventListener("change", () => replan(i, choice.value));
      group.append(h("label", { for: id }, radio, h("span", {}, choice.text)));
    }
    groups.push(group);
  });
  return groups;
}

function describeQuery(plan, id) {
  const found = plan.candidates.get(id)?.found[0];
  if (!found) return id;
  const names = typeNames(found.credential.typeMetadata);
  return names[language()] || names.en || found.credential.payload.vct;
}

async function consentForm(request, plan, errors, replan = () => {}) {
  const panels = await Promise.all(plan.answer.map(answerPanel));
  const shareButton = h("button", { type: "submit" }, t("share.share"));
  const decline = h("button", { type: "button", class: "secondary" }, t("share.decline"));
  const pin = await pinState();
  const pinField = pin.set ? h("input", { id: "wallet-pin", type: "password", inputmode: "numeric", autocomplete: "off", maxlength: 12, required: true, "aria-describedby": "pin-why" }) : null;
  const formEl = h("form", { "aria-labelledby": "what" }, h("h2", { id: "what" }, t("share.what")), setChoices(plan, replan), panels.map((p) => p.fieldset),
    pinField ? [h("label", { for: "wallet-pin" }, t("share.pin")), h("p", { id: "pin-why", class: "hint" }, t("share.pin_why")), pinField] : null,
    h("div", { class: "actions" }, shareButton, decline));
  formEl.addEventListener("submit", (ev) => {
    ev.preventDefault();
    busy(shareButton, share(request, plan, panels, errors, pinField).catch((err) => fill(errors, alertBox(shareMessage(err), t("share.not_sent")))));
  });
  decline.addEventListener("click", () => busy(decline, (async () => {
    const answer = await sendDecline(request);
    await addHistory({ kind: "declined", verifier: request.verifier.name, country: request.verifier.country });
    fill(errors, h("div", { class: "notice", role: "status" }, t("share.declined")),
      answer.redirectUri ? h("a", { class: "button secondary", href: answer.redirectUri }, t("share.return")) : null);
  })().catch((err) => fill(errors, alertBox(err.message, t("share.not_sent"))))));
  return formEl;
}

async function showRequest(linkText, out) {
  const config = await getConfig();
  fill(out, h("p", { role: "status", class: "progress" }, t("share.checking")));
  let request;
  try {
    const link = parseRequestLink(linkText);
    const { token, walletNonce } = await fetchRequestObject(link);
    request = await verifyRequest(token, link, walletNonce, config.rp_anchors);
  } catch (err) {
    await addHistory({ kind: "refused", reason: err.message });
    fill(out, alertBox(err.message, t("share.request_refused")));
    return;
  }
  // Newest first: after a re-issuance the fresh credential answers, not the one it replaced.
  const credentials = (await all("credentials")).filter((c) => ["dc+sd-jwt", "mso_mdoc"].includes(c.format)).sort((a, b) => b.received - a.received);
  const plan = planPresentation(request.claims.dcql_query, credentials);
  const who = whoPanel(request.verifier, linkText.trim());
  if (!plan.satisfiable) {
    fill(out, who, await cannotAnswer(plan, credentials));
    return;
  }
  const errors = h("div", { "aria-live": "polite" });
  const choices = plan.sets.map((set) => set.chosen);
  const render = async (current) => {
    const replan = (i, value) => {
      choices[i] = value;
      render(planPresentation(request.claims.dcql_query, credentials, choices)).catch((err) => fill(errors, alertBox(err.message, t("share.not_sent"))));
    };
    fill(out, who, await consentForm(request, current, errors, replan), errors);
  };
  await render(plan);
}

export async function presentPage(params) {
  const initial = params.has("request_uri") || params.has("client_id") ? `openid4vp://?${params}` : params.get("request") || "";
  const out = h("div", { id: "request-area" });
  const area = h("textarea", { id: "request-link", rows: 3, "aria-describedby": "request-hint" }, initial);
  const button = h("button", { type: "submit" }, t("share.continue"));
  const formEl = h("form", {}, h("label", { for: "request-link" }, t("share.link_label")),
    h("p", { id: "request-hint", class: "hint" }, t("share.link_hint")), area, button);
  formEl.addEventListener("submit", (ev) => {
    ev.preventDefault();
    busy(button, showRequest(area.value, out));
  });
  formEl.append(scannerButton((text) => {
    area.value = text;
    busy(button, showRequest(text, out));
  }));
  // A request opened from a link goes straight to consent; the paste form waits below it.
  if (initial) {
    show(t("share.title"), out, h("details", {}, h("summary", {}, t("share.another")), formEl));
    busy(button, showRequest(initial, out));
  } else {
    show(t("share.title"), formEl, out);
  }
}
