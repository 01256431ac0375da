// Auto-lock (issue #19 item 5): when a wallet PIN is set and nobody has touched the page for
// AUTO_LOCK_MS, the page drops what it shows (claims, history) and asks for the PIN again. The
// lock survives a reload of the tab (sessionStorage) and is lifted only by the right PIN, counted
// against the same attempt limit as sharing (pin.js). Sharing asks for the PIN anyway, so a lock
// is about what a passer-by can read, not about what can be signed.
import { MAX_ATTEMPTS, pinState, verifyPin } from "./pin.js";
import { t, tn } from "./i18n.js";
import { alertBox, busy, fill, h, show } from "./ui.js";

export const AUTO_LOCK_MS = 5 * 60 * 1000;
const FLAG = "lintas-locked";
const ACTIVITY = ["pointerdown", "keydown", "wheel", "touchstart"];

function flagged() {
  try {
    return sessionStorage.getItem(FLAG) === "1";
  } catch {
    return false;
  }
}

function setFlag(on) {
  try {
    if (on) sessionStorage.setItem(FLAG, "1");
    else sessionStorage.removeItem(FLAG);
  } catch {
    /* storage disabled: the lock lasts until this page is left */
  }
}

/** Show the lock screen; the right PIN reloads the page where it was. */
export function lockScreen() {
  setFlag(true);
  const out = h("div", { "aria-live": "polite" });
  const field = h("input", { id: "unlock-pin", type: "password", inputmode: "numeric", autocomplete: "off", maxlength: 12, required: true });
  const button = h("button", { type: "submit" }, t("lock.unlock"));
  const formEl = h("form", { "data-testid": "lock" }, h("label", { for: "unlock-pin" }, t("lock.pin")), field, button);
  formEl.addEventListener("submit", (ev) => {
    ev.preventDefault();
    busy(button, verifyPin(field.value).then(() => {
      setFlag(false);
      location.reload();
    }).catch((err) => fill(out, alertBox(pinMessage(err), t("lock.not_unlocked")))));
  });
  show(t("lock.title"), h("p", {}, t("lock.text")), formEl, out);
}

/** The PIN errors of pin.js in the page language (codes are stable; messages are English). */
export function pinMessage(err) {
  if (err?.code === "pin_wrong" && Number.isInteger(err.attemptsLeft)) return tn("pin.wrong", err.attemptsLeft);
  if (err?.code === "pin_locked") return t("pin.locked", { max: MAX_ATTEMPTS });
  if (err?.code === "pin_unsupported") return t("pin.unsupported");
  if (err?.code === "pin_invalid") return t("pin.invalid");
  return err?.message || String(err);
}

/** Start the inactivity timer when a PIN is set; returns true when the page is locked now. */
export async function startAutoLock(ms = AUTO_LOCK_MS) {
  const state = await pinState();
  if (!state.set) {
    setFlag(false);
    return false;
  }
  if (flagged()) {
    lockScreen();
    return true;
  }
  let timer = setTimeout(lockScreen, ms);
  const touch = () => {
    clearTimeout(timer);
    if (!flagged()) timer = setTimeout(lockScreen, ms);
  };
  for (const kind of ACTIVITY) addEventListener(kind, touch, { passive: true, capture: true });
  return false;
}
