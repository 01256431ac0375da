// The wallet's and the relying-party pages' languages: English and the languages of the ASEAN
// member states. Messages are JSON catalogues under /static/i18n/<lang>.json (flat keys, `{name}`
// placeholders); dates, numbers, lists and country names come from the browser's `Intl` (ECMA-402),
// never from hand-made tables. The language is the one the user picked (kept in localStorage: a
// preference, not a secret), else the first of `navigator.languages` we have, else English.
// No DOM access beyond <html lang> and the switcher, so the RP page can use it too.

/** Supported languages in the order the switcher lists them (BCP 47 primary subtags). */
export const LANGUAGES = ["en", "ms", "id", "th", "vi", "fil", "km", "lo", "my", "tet", "ta", "zh"];
/** Each language's name in itself (a switcher must be readable by the one who needs it). */
export const NATIVE_NAMES = {
  en: "English", ms: "Bahasa Melayu", id: "Bahasa Indonesia", th: "ไทย", vi: "Tiếng Việt", fil: "Filipino",
  km: "ខ្មែរ", lo: "ລາວ", my: "မြန်မာ", tet: "Tetun", ta: "தமிழ்", zh: "中文",
};
// Older or alternative subtags browsers send for the same languages.
const ALIASES = { tl: "fil", in: "id", zsm: "ms", mya: "my", khm: "km", tdt: "tet" };
const STORAGE_KEY = "lintas-language";

let current = "en";
let formatting = "en"; // the browser's own tag for `current` when it has one (en-GB writes dates its way)
let messages = {};
let english = {};

/** The supported language for a list of BCP 47 tags (user's choice first), else "en". */
export function pickLanguage(preferred, stored = null) {
  for (const tag of [stored, ...(preferred || [])]) {
    if (typeof tag !== "string" || !tag) continue;
    const primary = tag.toLowerCase().split(/[-_]/)[0];
    const code = ALIASES[primary] || primary;
    if (LANGUAGES.includes(code)) return code;
  }
  return "en";
}

async function catalogue(lang) {
  const response = await fetch(`/static/i18n/${lang}.json`, { credentials: "omit" });
  if (!response.ok) throw new Error(`no messages for ${lang}`);
  return response.json();
}

function storedLanguage() {
  try {
    return localStorage.getItem(STORAGE_KEY);
  } catch {
    return null; // storage disabled: the browser's languages decide
  }
}

/** Load the messages of the chosen language (English underneath) and set <html lang>. */
export async function initI18n(preferred = navigator.languages) {
  current = pickLanguage(preferred, storedLanguage());
  formatting = (preferred || []).find((tag) => pickLanguage([tag]) === current && tag.toLowerCase().split("-")[0] === current) || current;
  english = await catalogue("en");
  messages = current === "en" ? english : await catalogue(current).catch(() => english);
  document.documentElement.lang = current;
  return current;
}

export function language() {
  return current;
}

/** The message `key` with `{name}` placeholders filled; English, then the key, when missing. */
export function t(key, params = {}) {
  const template = messages[key] ?? english[key] ?? key;
  return template.replace(/\{(\w+)\}/g, (whole, name) => (name in params ? String(params[name]) : whole));
}

/** A message with a count: `key.one`, `key.few`, ... as Intl.PluralRules picks, else `key.other`. */
export function tn(key, count, params = {}) {
  const form = new Intl.PluralRules(formatting).select(count);
  const chosen = `${key}.${form}` in messages || `${key}.${form}` in english ? `${key}.${form}` : `${key}.other`;
  return t(chosen, { ...params, count: formatNumber(count) });
}

/** Translate the static parts of a page: `data-i18n` sets the text, `data-i18n-label` the aria-label. */
export function translateStatic(root = document) {
  for (const el of root.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll("[data-i18n-label]")) el.setAttribute("aria-label", t(el.dataset.i18nLabel));
}

/** Remember `code` and reload the page in it. */
export function chooseLanguage(code) {
  if (!LANGUAGES.includes(code)) return;
  try {
    localStorage.setItem(STORAGE_KEY, code);
  } catch {
    /* not kept: this page still switches */
  }
  location.reload();
}

/** Whether this browser's Intl has data for the page language (Chromium ships none for my, km, lo, tet). */
function intlSpeaks(kind) {
  try {
    return Intl[kind].supportedLocalesOf([current]).length > 0;
  } catch {
    return false;
  }
}

/**
 * A country's name in the page language: the trust registry's official name in that language
 * when it has one ("Viet Nam", "Lao PDR"), else Intl.DisplayNames when the browser has the
 * language's data, else the catalogue's name of the member state, else the registry's English.
 */
export function countryName(code, official = {}) {
  if (typeof code !== "string" || !/^[A-Z]{2}$/.test(code)) return t("country.unknown");
  if (official[current]) return official[current];
  const own = messages[`country.${code}`];
  if (intlSpeaks("DisplayNames")) {
    try {
      const name = new Intl.DisplayNames([formatting, current], { type: "region", fallback: "none" }).of(code);
      if (name) return name;
    } catch {
      /* fall through to the catalogue */
    }
  }
  return own || official.en || english[`country.${code}`] || code;
}

/** A full date (YYYY-MM-DD), a month (YYYY-MM) or a year (YYYY) as the page language writes it. */
export function formatDate(value) {
  const match = /^(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?$/.exec(value);
  if (!match) return null;
  const [, y, m, d] = match;
  const date = new Date(Date.UTC(Number(y), m ? Number(m) - 1 : 0, d ? Number(d) : 1));
  // A language the browser has no date data for gets the unambiguous ISO form, not English months.
  if (!intlSpeaks("DateTimeFormat")) return value;
  const options = d ? { dateStyle: "long" } : m ? { year: "numeric", month: "long" } : { year: "numeric" };
  return new Intl.DateTimeFormat(formatting, { ...options, timeZone: "UTC" }).format(date);
}

/** A moment (epoch milliseconds) with date and time in the page language. */
export function formatMoment(ms, style = "medium") {
  if (!intlSpeaks("DateTimeFormat")) return new Date(ms - new Date(ms).getTimezoneOffset() * 60000).toISOString().slice(0, 16).replace("T", " ");
  return new Intl.DateTimeFormat(formatting, { dateStyle: style, timeStyle: "short" }).format(new Date(ms));
}

export function formatNumber(value) {
  return new Intl.NumberFormat(formatting).format(value);
}

export function formatList(items) {
  return new Intl.ListFormat(formatting, { style: "long", type: "conjunction" }).format(items);
}
