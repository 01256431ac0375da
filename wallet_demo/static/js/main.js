// The wallet page: a tiny router on location.pathname and the list, detail, history and persona pages.
// Only light modules load up front: the cards render from IndexedDB at once, and the protocol and
// certificate code (jose, pkijs: most of the page weight) loads behind them, or with the page
// that needs it (issue #19 item 7: usable sooner on a slow link).
import { all, deleteCredential, get, getSetting, put, resetWallet, setSetting } from "./store.js";
import { alertBox, busy, claimsList, countryName, countryTag, credentialCard, effectiveStatus, fill, flag, getConfig, h, issuerName, languageSwitcher, registryBadge, show, statusBadge } from "./ui.js";
import { formatDate, formatMoment, initI18n, t, translateStatic } from "./i18n.js";
import { startAutoLock } from "./lock.js";
import { fetchJson } from "./util.js";

async function listPage() {
  const credentials = (await all("credentials")).sort((a, b) => b.received - a.received);
  if (!credentials.length) {
    show(t("list.title"), h("p", {}, t("list.empty")), h("a", { class: "button", href: "/personas" }, t("list.get_first")));
    return;
  }
  const items = credentials.map((c) => {
    const slot = h("span", {}, statusBadge("unknown"));
    import("./meta.js").then(({ checkStatus }) => checkStatus(c)).then((s) => fill(slot, statusBadge(effectiveStatus(s.status, c))));
    return h("li", {}, credentialCard(c, slot));
  });
  show(t("list.title"), h("ul", { class: "cards" }, items));
}

async function detailPage(id, params) {
  const credential = await get("credentials", id);
  if (!credential) {
    show(t("detail.not_found"), alertBox(t("detail.not_found_text"), t("detail.not_found")), h("a", { href: "/" }, t("detail.back")));
    return;
  }
  const statusSlot = h("span", { "aria-live": "polite" }, statusBadge("unknown"));
  const registrySlot = h("span", {}, registryBadge(credential.registry));
  const del = h("button", { type: "button", class: "danger" }, t("detail.delete"));
  del.addEventListener("click", () => {
    if (!confirm(t("detail.delete_confirm"))) return;
    busy(del, deleteCredential(id).then(() => location.assign("/")));
  });
  show(issuerName(credential),
    params.has("new") ? h("div", { class: "notice", role: "status", "data-testid": "received" }, t("detail.received")) : null,
    h("ul", { class: "cards" }, h("li", {}, credentialCard(credential, statusSlot.cloneNode(true)))),
    h("section", { class: "panel", "aria-labelledby": "status-title" }, h("h2", { id: "status-title" }, t("detail.status")),
      h("p", {}, statusSlot, " ", registrySlot),
      h("p", {}, t("detail.issued_by", { issuer: issuerName(credential) }), " · ", countryTag(credential.country)),
      h("p", { class: "hint" }, t("detail.valid_until", { date: formatDate(new Date(credential.payload.exp * 1000).toISOString().slice(0, 10)) }))),
    h("section", { class: "panel", "aria-labelledby": "claims-title" }, h("h2", { id: "claims-title" }, t("detail.details")), claimsList(credential)),
    del);
  const { checkStatus, registryCheck } = await import("./meta.js");
  checkStatus(credential).then((s) => {
    const status = effectiveStatus(s.status, credential);
    fill(statusSlot, statusBadge(status));
    document.querySelectorAll(".card [data-testid=status]").forEach((b) => b.replaceWith(statusBadge(status)));
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
    const when = formatMoment(e.at);
    const where = e.country ? countryName(e.country) : t("rp.country_undeclared");
    if (e.kind === "issuance") return t("history.issuance", { when, issuer: e.issuer });
    if (e.kind === "presentation") return t(e.accepted ? "history.shared_accepted" : "history.shared_refused", { when, claims: e.claims.join(", "), verifier: e.verifier, country: where });
    if (e.kind === "declined") return t("history.declined", { when, verifier: e.verifier });
    return t("history.refused", { when, reason: e.reason });
  };
  const reset = h("button", { type: "button", class: "danger" }, t("history.reset_button"));
  reset.addEventListener("click", () => {
    if (!confirm(t("history.reset_confirm"))) return;
    busy(reset, resetWallet().then(() => location.assign("/personas")));
  });
  show(t("history.title"), entries.length ? h("ul", { class: "plain", "data-testid": "history" }, entries.map((e) => h("li", {}, describe(e)))) : h("p", {}, t("history.empty")),
    h("h2", {}, t("history.reset")), h("p", {}, t("history.reset_text")), reset);
}

async function requestOffer(persona, grant, out) {
  const created = await fetchJson("/api/demo/offers", { method: "POST", headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ persona_id: persona.id, grant }) }, "the demo issuance desk");
  const target = `/receive?${new URLSearchParams({ offer: created.offer_link })}`;
  fill(out, h("div", { class: "panel", "data-testid": "desk" },
    created.tx_code ? h("p", { class: "sms" }, t("persona.sms", { pin: created.tx_code })) : null,
    h("p", {}, t("persona.offer_ready")),
    h("a", { class: "button", href: target, "data-testid": "open-offer" }, t("persona.open_offer"))));
}

async function personasPage() {
  const config = await getConfig();
  const current = await getSetting("persona");
  const out = h("div", { "aria-live": "polite" });
  const items = config.personas.filter((p) => p.country in config.issuers).map((p) => {
    const pick = h("button", { type: "button", "data-persona": p.id, "aria-pressed": String(current === p.id) }, t(p.kind === "driver" ? "persona.play_driver" : "persona.play", { name: p.name }));
    pick.addEventListener("click", () => busy(pick, (async () => {
      await setSetting("persona", p.id);
      document.getElementById("persona-label").textContent = t("persona.playing", { name: p.name });
      document.querySelectorAll("[data-persona]").forEach((b) => b.setAttribute("aria-pressed", String(b === pick)));
      const pin = h("button", { type: "button" }, t("persona.get_pin"));
      const login = h("button", { type: "button", class: "secondary" }, t("persona.get_login"));
      pin.addEventListener("click", () => busy(pin, requestOffer(p, "pre-authorized_code", out).catch((e) => out.append(alertBox(e.message, t("persona.no_offer"))))));
      login.addEventListener("click", () => busy(login, requestOffer(p, "authorization_code", out).catch((e) => out.append(alertBox(e.message, t("persona.no_offer"))))));
      fill(out, h("div", { class: "panel" }, h("p", {}, t(`persona.ask_${p.kind}`)), pin, login));
      pick.closest("li").append(out); // the next step appears right under the chosen persona
      out.scrollIntoView();
    })()));
    const country = countryName(p.country);
    const who = p.kind === "citizen" ? t("persona.citizen", { country })
      : p.kind === "driver" ? t("persona.driver", { country })
      : p.kind === "mandate" ? t("persona.mandate", { name: p.representative, country })
      : t("persona.business", { name: p.representative || t("persona.representative"), country });
    return h("li", { class: "panel" }, h("p", {}, h("span", { class: "flag", "aria-hidden": "true" }, flag(p.country)), " ", h("strong", {}, p.name)), h("p", { class: "hint" }, who), pick);
  });
  show(t("persona.title"), h("p", {}, t("persona.intro")), h("ul", { class: "personas" }, items), out);
}

async function personaLabel() {
  const config = await getConfig();
  const id = await getSetting("persona");
  const persona = config.personas.find((p) => p.id === id);
  document.getElementById("persona-label").textContent = persona ? t("persona.playing", { name: persona.name }) : t("persona.none");
}

async function route() {
  const path = location.pathname;
  const params = new URLSearchParams(location.search);
  for (const a of document.querySelectorAll("[data-nav]")) {
    if (a.dataset.nav === path || (path.startsWith("/credential") && a.dataset.nav === "/")) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  }
  await Promise.all([getConfig(), initI18n()]); // messages, country names and local languages are needed by every page
  translateStatic();
  fill(document.getElementById("language-slot"), languageSwitcher());
  if (await startAutoLock()) return; // locked after inactivity: nothing else is shown
  personaLabel().catch(() => {});
  if (path === "/receive") return (await import("./receive.js")).receivePage(params);
  if (path === "/present") return (await import("./present.js")).presentPage(params);
  if (path === "/callback") return (await import("./receive.js")).callbackPage(params);
  if (path === "/history") return historyPage();
  if (path === "/personas") return personasPage();
  if (path === "/settings") return (await import("./settings.js")).settingsPage();
  if (path.startsWith("/credential/")) return detailPage(decodeURIComponent(path.slice("/credential/".length)), params);
  return listPage();
}

route().catch((err) => show(t("error.generic"), alertBox(err.message || String(err), t("error.title"))));
