// The wallet PIN (issue #12 class 9), asked before any credential is shared. Stored as
// PBKDF2-HMAC-SHA-256 (RFC 8018 Section 5.2; NIST SP 800-132) with a random 16-byte salt and
// 600,000 iterations (OWASP's Password Storage Cheat Sheet figure for PBKDF2-SHA-256), derived by
// WebCrypto; the PIN itself and any plain hash of it are never stored. Checks compare in constant
// time and count: after MAX_ATTEMPTS wrong PINs in a row the wallet is locked until it is reset.
// A record in any other format is refused, not guessed at (the wallet never stored another one).
import { getSetting, setSetting } from "./store.js";
import { WalletError, b64uDecode, b64uEncode, enc, equalBytes } from "./util.js";

export const PIN_ITERATIONS = 600000;
export const MAX_ATTEMPTS = 5;
const FORMAT = "pbkdf2-sha256-v1";
const SETTING = "pin";
const LOCKED = `The wallet is locked after ${MAX_ATTEMPTS} wrong PINs. Reset it (History › Reset wallet) and receive your credentials again.`;

async function derive(pin, salt, iterations) {
  const base = await crypto.subtle.importKey("raw", enc.encode(pin), "PBKDF2", false, ["deriveBits"]);
  return new Uint8Array(await crypto.subtle.deriveBits({ name: "PBKDF2", hash: "SHA-256", salt, iterations }, base, 256));
}

/** A PIN is 6 to 12 digits. */
export function validPin(pin) {
  return typeof pin === "string" && /^[0-9]{6,12}$/.test(pin);
}

function usable(record) {
  return record.format === FORMAT && Number.isInteger(record.iterations) && record.iterations >= PIN_ITERATIONS
    && typeof record.salt === "string" && typeof record.hash === "string" && Number.isInteger(record.failures);
}

/** {set, locked, unsupported, attemptsLeft} of the stored PIN. */
export async function pinState() {
  const record = await getSetting(SETTING);
  if (!record) return { set: false, locked: false, unsupported: false, attemptsLeft: MAX_ATTEMPTS };
  if (!usable(record)) return { set: true, locked: true, unsupported: true, attemptsLeft: 0 };
  const attemptsLeft = Math.max(0, MAX_ATTEMPTS - record.failures);
  return { set: true, locked: attemptsLeft === 0, unsupported: false, attemptsLeft };
}

/** Check `pin` against the stored one; no PIN set passes. Throws with attempts left, or locked. */
export async function verifyPin(pin) {
  const record = await getSetting(SETTING);
  if (!record) return;
  if (!usable(record)) {
    throw new WalletError("pin_unsupported", "This wallet's PIN is stored in a format this wallet does not accept. Reset the wallet (History › Reset wallet) to set a new PIN.");
  }
  if (record.failures >= MAX_ATTEMPTS) throw new WalletError("pin_locked", LOCKED);
  // The attempt is counted before the slow derivation: closing the page mid-check is no free try.
  await setSetting(SETTING, { ...record, failures: record.failures + 1 });
  const given = typeof pin === "string" ? pin : "";
  if (equalBytes(await derive(given, b64uDecode(record.salt), record.iterations), b64uDecode(record.hash))) {
    await setSetting(SETTING, { ...record, failures: 0 });
    return;
  }
  const left = MAX_ATTEMPTS - record.failures - 1;
  if (left <= 0) throw new WalletError("pin_locked", `Wrong PIN. ${LOCKED}`);
  const wrong = new WalletError("pin_wrong", `Wrong PIN. ${left} attempt${left === 1 ? "" : "s"} left before the wallet locks.`);
  wrong.attemptsLeft = left;
  throw wrong;
}

/** Set a new PIN (the current one must be given when one is set); a fresh salt every time. */
export async function setPin(newPin, currentPin = "") {
  if (!validPin(newPin)) throw new WalletError("pin_invalid", "A PIN is 6 to 12 digits.");
  if ((await pinState()).set) await verifyPin(currentPin);
  const salt = crypto.getRandomValues(new Uint8Array(16));
  const hash = await derive(newPin, salt, PIN_ITERATIONS);
  await setSetting(SETTING, { format: FORMAT, kdf: "PBKDF2", hash: b64uEncode(hash), prf: "HMAC-SHA-256",
    iterations: PIN_ITERATIONS, salt: b64uEncode(salt), failures: 0 });
}

/** Remove the PIN after checking it. */
export async function removePin(currentPin) {
  await verifyPin(currentPin);
  await setSetting(SETTING, null);
}
