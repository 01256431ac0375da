// LINTAS DC API TEST PROVIDER: a stand-in for the platform wallet the browser would call, for tests
// and demos only. It is not shipped with the wallet or the relying-party pages: the browser tests
// inject it with Playwright's `add_init_script` (tests/e2e/test_dc_api_journey.py), replacing
// __LINTAS_WALLET_URL__ with the demo wallet's URL.
//
// What it replaces: between `navigator.credentials.get({digital: {requests}})` (W3C Digital
// Credentials API) and a wallet, the browser shows its own credential chooser and hands the
// request, with the caller's origin, to an OS platform wallet. Headless Chromium 156 offers the
// API (`DigitalCredential`, `userAgentAllowsProtocol("openid4vp-v1-signed") === true`) but with no
// platform wallet its promise never settles. This provider wraps `navigator.credentials.get` for
// `digital` requests only (anything else goes to the browser's own implementation), opens the demo
// wallet at `#dcapi` in a popup on the wallet's origin, posts it the request and resolves with a
// DigitalCredential-shaped `{type: "digital", protocol, data}` when the wallet answers.
//
// The origin: the provider never sends one. The wallet takes the caller's origin from the
// MessageEvent the browser delivers (`event.origin`), which neither the page nor this script can
// set, and posts its answer to that origin only. Closing the wallet rejects with NotAllowedError
// (as dismissing the browser's dialog does); the page's AbortSignal rejects with AbortError.
(() => {
  const WALLET = new URL("__LINTAS_WALLET_URL__");
  const PROTOCOL = "openid4vp-v1-signed";
  const MESSAGES = { ready: "lintas-dcapi-ready", request: "lintas-dcapi-request", response: "lintas-dcapi-response" };
  const container = navigator.credentials;
  if (!container || typeof container.get !== "function") return;
  const browserGet = container.get.bind(container);

  if (typeof globalThis.DigitalCredential !== "function") {
    // A browser without the API: give the page the interface it feature-detects.
    globalThis.DigitalCredential = class DigitalCredential {
      static userAgentAllowsProtocol(protocol) {
        return protocol === PROTOCOL;
      }
    };
  }

  function credential(protocol, data) {
    // Script cannot construct a DigitalCredential; own properties on its prototype give the same shape.
    return Object.create(globalThis.DigitalCredential.prototype, {
      id: { value: "", enumerable: true },
      type: { value: "digital", enumerable: true },
      protocol: { value: protocol, enumerable: true },
      data: { value: data, enumerable: true },
      toJSON: { value: () => ({ type: "digital", protocol, data }) },
    });
  }

  function ask(request, signal) {
    return new Promise((resolve, reject) => {
      const popup = window.open(new URL("/present#dcapi", WALLET).href, "lintas-dc-test-provider", "popup,width=420,height=800");
      if (!popup) {
        reject(new DOMException("The test provider could not open the wallet.", "NotAllowedError"));
        return;
      }
      let settled = false;
      let timer = 0;
      const finish = (settle) => {
        if (settled) return;
        settled = true;
        clearInterval(timer);
        window.removeEventListener("message", onMessage);
        signal?.removeEventListener("abort", onAbort);
        try {
          popup.close();
        } catch {
          // already closed
        }
        settle();
      };
      const onMessage = (event) => {
        // Only the popup, on the wallet's origin, speaks for the wallet.
        if (event.source !== popup || event.origin !== WALLET.origin || !event.data) return;
        if (event.data.type === MESSAGES.ready) {
          popup.postMessage({ type: MESSAGES.request, protocol: request.protocol, data: request.data }, WALLET.origin);
        } else if (event.data.type === MESSAGES.response && event.data.protocol === request.protocol) {
          finish(() => resolve(credential(event.data.protocol, event.data.data)));
        }
      };
      const onAbort = () => finish(() => reject(new DOMException("The request was aborted.", "AbortError")));
      window.addEventListener("message", onMessage);
      signal?.addEventListener("abort", onAbort);
      timer = setInterval(() => {
        if (popup.closed) finish(() => reject(new DOMException("The wallet was closed without an answer.", "NotAllowedError")));
      }, 200);
    });
  }

  container.get = function get(options) {
    const requests = options?.digital?.requests;
    if (!Array.isArray(requests)) return browserGet(options); // passkeys, passwords: the browser's own
    if (options.signal?.aborted) return Promise.reject(new DOMException("The request was aborted.", "AbortError"));
    const request = requests.find((r) => r && r.protocol === PROTOCOL && r.data && typeof r.data === "object");
    if (!request) return Promise.reject(new TypeError("The test provider answers openid4vp-v1-signed requests only."));
    return ask(request, options.signal);
  };
})();
