// The QR scanner (issue #19 item 3): the camera through getUserMedia, decoded by the browser's
// BarcodeDetector (Shape Detection API) where it reads QR codes, else by `jsqr` from the npm lock
// (a classic script served under /vendor/, added to the page only when needed). Frames are read
// a few times a second into a canvas that never leaves the page; the camera stops as soon as a
// code is read, the user stops, or SCAN_TIMEOUT_MS passes.
import { t } from "./i18n.js";
import { alertBox, fill, h } from "./ui.js";

const SCAN_TIMEOUT_MS = 90_000;
const FRAME_MS = 200;
let jsqrLoaded = null;

function loadJsqr() {
  if (!jsqrLoaded) {
    jsqrLoaded = new Promise((resolve, reject) => {
      const script = h("script", { src: "/vendor/jsqr/jsQR.js" });
      script.addEventListener("load", () => (typeof window.jsQR === "function" ? resolve(window.jsQR) : reject(new Error("jsQR"))));
      script.addEventListener("error", () => reject(new Error("jsQR")));
      document.head.append(script);
    });
  }
  return jsqrLoaded;
}

/** A function frame -> text|null: BarcodeDetector when it reads QR codes, else jsQR on the canvas pixels. */
async function decoder(canvas) {
  if ("BarcodeDetector" in window) {
    const formats = await window.BarcodeDetector.getSupportedFormats().catch(() => []);
    if (formats.includes("qr_code")) {
      const detector = new window.BarcodeDetector({ formats: ["qr_code"] });
      return async () => (await detector.detect(canvas))[0]?.rawValue || null;
    }
  }
  const jsQR = await loadJsqr();
  const context = canvas.getContext("2d", { willReadFrequently: true });
  return async () => {
    const image = context.getImageData(0, 0, canvas.width, canvas.height);
    return jsQR(image.data, image.width, image.height, { inversionAttempts: "dontInvert" })?.data || null;
  };
}

/** Read one QR code from the camera into `video`; resolves with its text, rejects on stop or timeout. */
export async function scanQr(video, stopSignal) {
  const stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false });
  try {
    video.srcObject = stream;
    await video.play();
    const canvas = document.createElement("canvas");
    const read = await decoder(canvas);
    const started = Date.now();
    while (!stopSignal.aborted && Date.now() - started < SCAN_TIMEOUT_MS) {
      if (video.videoWidth) {
        canvas.width = video.videoWidth;
        canvas.height = video.videoHeight;
        canvas.getContext("2d", { willReadFrequently: true }).drawImage(video, 0, 0);
        const text = await read();
        if (text) return text;
      }
      await new Promise((resolve) => setTimeout(resolve, FRAME_MS));
    }
    throw new Error(stopSignal.aborted ? t("scan.stopped") : t("scan.timeout"));
  } finally {
    for (const track of stream.getTracks()) track.stop();
    video.srcObject = null;
  }
}

/** A "Scan a QR code" button that opens the camera below it and hands the text read to `onText`. */
export function scannerButton(onText) {
  const area = h("div", { "aria-live": "polite" });
  const button = h("button", { type: "button", class: "secondary", "data-testid": "scan" }, t("scan.start"));
  button.addEventListener("click", () => {
    if (!navigator.mediaDevices?.getUserMedia) {
      fill(area, alertBox(t("scan.no_camera"), t("scan.title")));
      return;
    }
    const stop = new AbortController();
    const video = h("video", { class: "scanner", muted: true, playsinline: true, "aria-label": t("scan.video") });
    const cancel = h("button", { type: "button", class: "secondary" }, t("scan.stop"));
    cancel.addEventListener("click", () => stop.abort());
    button.disabled = true;
    fill(area, h("p", { role: "status", class: "progress" }, t("scan.looking")), video, cancel);
    scanQr(video, stop.signal)
      .then((text) => {
        fill(area);
        onText(text);
      })
      .catch((err) => fill(area, alertBox(err.name === "NotAllowedError" ? t("scan.denied") : err.message, t("scan.title"))))
      .finally(() => { button.disabled = false; });
  });
  return h("div", { class: "scan" }, button, area);
}
