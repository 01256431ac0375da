// The settings page: the language, and the wallet PIN that sharing and the auto-lock ask for (pin.js, lock.js).
import { MAX_ATTEMPTS, pinState, removePin, setPin } from "./pin.js";
import { pinMessage } from "./lock.js";
import { t } from "./i18n.js";
import { alertBox, busy, fill, h, show } from "./ui.js";

function pinInput(id, label) {
  return [h("label", { for: id }, label),
    h("input", { id, type: "password", inputmode: "numeric", autocomplete: "off", pattern: "[0-9]{6,12}", minlength: 6, maxlength: 12, required: true })];
}

function value(id) {
  return document.getElementById(id).value;
}

function pinForm(state, out) {
  const button = h("button", { type: "submit" }, state.set ? t("settings.change_pin") : t("settings.set_pin"));
  const formEl = h("form", { "data-testid": "pin-form" },
    state.set ? pinInput("current-pin", t("settings.current_pin")) : null,
    pinInput("new-pin", t("settings.new_pin")), pinInput("confirm-pin", t("settings.repeat_pin")), button);
  formEl.addEventListener("submit", (ev) => {
    ev.preventDefault();
    if (value("new-pin") !== value("confirm-pin")) {
      fill(out, alertBox(t("settings.pins_differ"), t("settings.pin_not_set")));
      return;
    }
    busy(button, setPin(value("new-pin"), state.set ? value("current-pin") : "")
      .then(() => settingsPage(h("div", { class: "notice", role: "status", "data-testid": "pin-saved" }, t("settings.pin_saved"))))
      .catch((err) => fill(out, alertBox(pinMessage(err), t("settings.pin_not_changed")))));
  });
  return formEl;
}

function removeForm(out) {
  const button = h("button", { type: "submit", class: "secondary" }, t("settings.remove_pin"));
  const formEl = h("form", {}, pinInput("remove-pin", t("settings.current_pin")), button);
  formEl.addEventListener("submit", (ev) => {
    ev.preventDefault();
    busy(button, removePin(value("remove-pin")).then(() => settingsPage()).catch((err) => fill(out, alertBox(pinMessage(err), t("settings.pin_not_removed")))));
  });
  return formEl;
}

export async function settingsPage(notice = null) {
  const state = await pinState();
  const out = h("div", { "aria-live": "polite" });
  if (state.locked) {
    const why = state.unsupported ? t("pin.unsupported") : t("pin.locked", { max: MAX_ATTEMPTS });
    show(t("settings.title"), h("h2", {}, t("settings.pin_title")), alertBox(why, t("settings.locked")));
    return;
  }
  show(t("settings.title"), notice, h("h2", {}, t("settings.pin_title")),
    h("p", { "data-testid": "pin-state" }, state.set ? t("settings.pin_on") : t("settings.pin_off")),
    pinForm(state, out), state.set ? h("h2", {}, t("settings.remove_title")) : null, state.set ? removeForm(out) : null, out);
}
