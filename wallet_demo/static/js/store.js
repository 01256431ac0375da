// The wallet's storage: IndexedDB only. Holder keys are WebCrypto CryptoKey objects created
// non-extractable (structured-cloneable, so IndexedDB keeps the key itself, never its bytes).
const DB_NAME = "lintas-wallet";
const STORES = ["keys", "credentials", "history", "settings"];
let opened = null;

function request(req) {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

function db() {
  if (!opened) {
    const req = indexedDB.open(DB_NAME, 1);
    req.onupgradeneeded = () => {
      for (const name of STORES) {
        if (!req.result.objectStoreNames.contains(name)) {
          req.result.createObjectStore(name, name === "history" ? { keyPath: "id", autoIncrement: true } : { keyPath: "id" });
        }
      }
    };
    opened = request(req);
  }
  return opened;
}

async function tx(name, mode, fn) {
  const database = await db();
  const store = database.transaction(name, mode).objectStore(name);
  return request(fn(store));
}

export const put = (name, value) => tx(name, "readwrite", (s) => s.put(value));
export const get = (name, id) => tx(name, "readonly", (s) => s.get(id));
export const all = (name) => tx(name, "readonly", (s) => s.getAll());
export const remove = (name, id) => tx(name, "readwrite", (s) => s.delete(id));

/** A new holder key pair: the private key can sign and can never be exported. */
export async function createHolderKey() {
  const pair = await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, false, ["sign", "verify"]);
  const jwk = await crypto.subtle.exportKey("jwk", pair.publicKey);
  const id = crypto.randomUUID();
  const record = { id, privateKey: pair.privateKey, publicJwk: { kty: "EC", crv: "P-256", x: jwk.x, y: jwk.y }, created: Date.now() };
  await put("keys", record);
  return record;
}

export async function addHistory(entry) {
  await put("history", { ...entry, at: Date.now() });
}

export async function getSetting(id, fallback = null) {
  const row = await get("settings", id);
  return row ? row.value : fallback;
}

export const setSetting = (id, value) => put("settings", { id, value });

/** Delete a credential and the holder key bound to it. */
export async function deleteCredential(id) {
  const credential = await get("credentials", id);
  if (credential?.keyId) await remove("keys", credential.keyId);
  await remove("credentials", id);
}

/** Forget everything: keys, credentials, history, settings. */
export async function resetWallet() {
  if (opened) (await opened).close();
  opened = null;
  await request(indexedDB.deleteDatabase(DB_NAME));
}
