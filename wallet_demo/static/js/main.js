// The wallet page: a tiny router on location.pathname and the list, detail, history and persona pages.
import { checkStatus, registryCheck } from "./meta.js";
import { callbackPage, receivePage } from "./receive.js";
import { presentPage } from "./present.js";
import { settingsPage } from "./settings.js";
import { all, deleteCredential, get, getSetting, put, resetWallet, setSetting } from "./store.js";
import { alertBox, busy, claimsList, countryName, countryTag, credentialCard, fill, flag, getConfig, h, issuerName, registryBadge, show, statusBadge } from "./ui.js";
import { fetchJson } from "./util.js";

async function listPage() {
  const credentials = (await all("credentials")).sort((a, b) => b.received - a.received);
  if (!credentials.length) {
    show("Your credentials", h("p", {}, "Your wallet is empty."), h("a", { class: "button", href: "/personas" }, "Choose a persona and get a credential"));
    return;
  }
  const items = credentials.map((c) => {
    const slot = h("span", {}, statusBadge("unknown"));
    checkStatus(c).then((s) => fill(slot, statusBadge(s.status)));
    return h("li", {}, credentialCard(c, slot));
  });
  show("Your credentials", h("ul", { class: "cards" }, items));
}

async function detailPage(id, params) {
  const credential = await get("credentials", id);
  if (!credential) {
    show("Credential not found", alertBox("This credential is not in your wallet.", "Not found"), h("a", { href: "/" }, "Back to your credentials"));
    return;
  }
  const statusSlot = h("span", { "aria-live": "polite" }, statusBadge("unknown"));
  const registrySlot = h("span", {}, registryBadge(credential.registry));
  const del = h("button", { type: "button", class: "danger" }, "Delete this credential");
  del.addEventListener("click", () => {
    if (!confirm("Delete this credential and its key from this wallet?")) return;
    busy(del, deleteCredential(id).then(() => location.assign("/")));
  });
  show(issuerName(credential),
    params.has("new") ? h("div", { class: "notice", role: "status", "data-testid": "received" }, "Credential received and stored in your wallet.") : null,
    h("ul", { class: "cards" }, h("li", {}, credentialCard(credential, statusSlot.cloneNode(true)))),
    h("section", { class: "panel", "aria-labelledby": "status-title" }, h("h2", { id: "status-title" }, "Status"),
      h("p", {}, statusSlot, " ", registrySlot),
      h("p", {}, "Issued by ", issuerName(credential), " · ", countryTag(credential.country)),
      h("p", { class: "hint" }, `Valid until ${new Date(credential.payload.exp * 1000).toLocaleDateString("en-GB", { dateStyle: "long" })}`)),
    h("section", { class: "panel", "aria-labelledby": "claims-title" }, h("h2", { id: "claims-title" }, "Details"), claimsList(credential)),
    del);
  checkStatus(credential).then((s) => {
    fill(statusSlot, statusBadge(s.status));
    document.querySelectorAll(".card [data-testid=status]").forEach((b) => b.replaceWith(statusBadge(s.status)));
  });
  const config = await getConfig();
  registryCheck(config.registry_url, credential).then(async (r) => {
    fill(registrySlot, registryBadge(r));
    // Re-read: the credential may have been deleted or changed while the registry answered.
    const fresh = await get("credentials", id);
    if (fresh) await put("credentials", { ...fresh, registry: r });
    registrySlot.dataset.checked = "true";
  });
}

async function historyPage() {
  const entries = (await all("history")).sort((a, b) => b.at - a.at);
  const describe = (e) => {
    const when = new Date(e.at).toLocaleString("en");
    if (e.kind === "issuance") return `${when}: received a credential from ${e.issuer}`;
    if (e.kind === "presentation") return `${when}: shared ${e.claims.join(", ")} with ${e.verifier} (${countryName(e.country)}) — ${e.accepted ? "accepted" : "refused"}`;
    if (e.kind === "declined") return `${when}: declined a request from ${e.verifier}`;
    return `${when}: refused a request — ${e.reason}`;
  };
  const reset = h("button", { type: "button", class: "danger" }, "Reset wallet");
  reset.addEventListener("click", () => {
    if (!confirm("Delete every credential, key and history entry from this wallet?")) return;
    busy(reset, resetWallet().then(() => location.assign("/personas")));
  });
  show("History", entries.length ? h("ul", { class: "plain", "data-testid": "history" }, entries.map((e) => h("li", {}, describe(e)))) : h("p", {}, "Nothing yet."),
    h("h2", {}, "Reset"), h("p", {}, "Remove everything this wallet holds."), reset);
}

async function requestOffer(persona, grant, out) {
  const created = await fetchJson("/api/demo/offers", { method: "POST", headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ persona_id: persona.id, grant }) }, "the demo issuance desk");
  const target = `/receive?${new URLSearchParams({ offer: created.offer_link })}`;
  fill(out, h("div", { class: "panel", "data-testid": "desk" },
    created.tx_code ? h("p", { class: "sms" }, `SMS from your national issuer: your one-time PIN is ${created.tx_code}`) : null,
    h("p", {}, "Your issuer has prepared a credential offer."),
    h("a", { class: "button", href: target, "data-testid": "open-offer" }, "Open the offer in the wallet")));
}

async function personasPage() {
  const config = await getConfig();
  const current = await getSetting("persona");
  const out = h("div", { "aria-live": "polite" });
  const items = config.personas.filter((p) => p.country in config.issuers).map((p) => {
    const pick = h("button", { type: "button", "data-persona": p.id, "aria-pressed": String(current === p.id) }, `Play ${p.name}`);
    pick.addEventListener("click", () => busy(pick, (async () => {
      await setSetting("persona", p.id);
      document.getElementById("persona-label").textContent = `Playing: ${p.name}`;
      document.querySelectorAll("[data-persona]").forEach((b) => b.setAttribute("aria-pressed", String(b === pick)));
      const pin = h("button", { type: "button" }, "Get it with a PIN (pre-authorized)");
      const login = h("button", { type: "button", class: "secondary" }, "Get it by logging in");
      pin.addEventListener("click", () => busy(pin, requestOffer(p, "pre-authorized_code", out).catch((e) => out.append(alertBox(e.message, "No offer")))));
      login.addEventListener("click", () => busy(login, requestOffer(p, "authorization_code", out).catch((e) => out.append(alertBox(e.message, "No offer")))));
      fill(out, h("div", { class: "panel" }, h("p", {}, `Ask your national issuer for your ${{ citizen: "person ID", mandate: "mandate" }[p.kind] || "business registration"} credential:`), pin, login));
      pick.closest("li").append(out); // the next step appears right under the chosen persona
      out.scrollIntoView();
    })()));
    const who = p.kind === "citizen" ? `Citizen of ${countryName(p.country)}`
      : p.kind === "mandate" ? `${p.representative}'s mandate for a company in ${countryName(p.country)}`
      : `${p.representative || "Representative"} for a company in ${countryName(p.country)}`;
    return h("li", { class: "panel" }, h("p", {}, h("span", { class: "flag", "aria-hidden": "true" }, flag(p.country)), " ", h("strong", {}, p.name)), h("p", { class: "hint" }, who), pick);
  });
  show("Choose a persona", h("p", {}, "Demo identities from the national issuers' seed data."), h("ul", { class: "personas" }, items), out);
}

async function personaLabel() {
  const config = await getConfig();
  const id = await getSetting("persona");
  const persona = config.personas.find((p) => p.id === id);
  document.getElementById("persona-label").textContent = persona ? `Playing: ${persona.name}` : "No persona chosen";
}

async function route() {
  const path = location.pathname;
  const params = new URLSearchParams(location.search);
  for (const a of document.querySelectorAll("[data-nav]")) {
    if (a.dataset.nav === path || (path.startsWith("/credential") && a.dataset.nav === "/")) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  }
  await getConfig(); // country names and local languages are needed by every page
  personaLabel().catch(() => {});
  if (path === "/receive") return receivePage(params);
  if (path === "/present") return presentPage(params);
  if (path === "/callback") return callbackPage(params);
  if (path === "/history") return historyPage();
  if (path === "/personas") return personasPage();
  if (path === "/settings") return settingsPage();
  if (path.startsWith("/credential/")) return detailPage(decodeURIComponent(path.slice("/credential/".length)), params);
  return listPage();
}

route().catch((err) => show("Something went wrong", alertBox(err.message || String(err), "Error")));
