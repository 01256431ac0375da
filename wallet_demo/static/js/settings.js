// The settings page: set, change or remove the wallet PIN that sharing asks for (pin.js).
import { MAX_ATTEMPTS, pinState, removePin, setPin } from "./pin.js";
import { alertBox, busy, fill, h, show } from "./ui.js";

function pinInput(id, label) {
  return [h("label", { for: id }, label),
    h("input", { id, type: "password", inputmode: "numeric", autocomplete: "off", pattern: "[0-9]{6,12}", minlength: 6, maxlength: 12, required: true })];
}

function value(id) {
  return document.getElementById(id).value;
}

function pinForm(state, out) {
  const button = h("button", { type: "submit" }, state.set ? "Change PIN" : "Set PIN");
  const formEl = h("form", { "data-testid": "pin-form" },
    state.set ? pinInput("current-pin", "Current PIN") : null,
    pinInput("new-pin", "New PIN (6 to 12 digits)"), pinInput("confirm-pin", "Repeat the new PIN"), button);
  formEl.addEventListener("submit", (ev) => {
    ev.preventDefault();
    if (value("new-pin") !== value("confirm-pin")) {
      fill(out, alertBox("The two new PINs differ.", "PIN not set"));
      return;
    }
    busy(button, setPin(value("new-pin"), state.set ? value("current-pin") : "")
      .then(() => settingsPage(h("div", { class: "notice", role: "status", "data-testid": "pin-saved" }, "Your PIN is set. The wallet asks for it before sharing.")))
      .catch((err) => fill(out, alertBox(err.message, "PIN not changed"))));
  });
  return formEl;
}

function removeForm(out) {
  const button = h("button", { type: "submit", class: "secondary" }, "Remove PIN");
  const formEl = h("form", {}, pinInput("remove-pin", "Current PIN"), button);
  formEl.addEventListener("submit", (ev) => {
    ev.preventDefault();
    busy(button, removePin(value("remove-pin")).then(() => settingsPage()).catch((err) => fill(out, alertBox(err.message, "PIN not removed"))));
  });
  return formEl;
}

export async function settingsPage(notice = null) {
  const state = await pinState();
  const out = h("div", { "aria-live": "polite" });
  if (state.locked) {
    const why = state.unsupported ? "The stored PIN is in a format this wallet does not accept." : `The wallet is locked after ${MAX_ATTEMPTS} wrong PINs.`;
    show("Settings", h("h2", {}, "Wallet PIN"), alertBox(`${why} Reset the wallet (History › Reset wallet) to use it again.`, "Locked"));
    return;
  }
  show("Settings", notice, h("h2", {}, "Wallet PIN"),
    h("p", { "data-testid": "pin-state" }, state.set ? "A PIN protects sharing from this wallet." : "No PIN is set: anyone holding this browser can share your credentials."),
    pinForm(state, out), state.set ? h("h2", {}, "Remove the PIN") : null, state.set ? removeForm(out) : null, out);
}
