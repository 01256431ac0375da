// DCQL on the wallet's side (OpenID4VP 1.0 Section 6): which stored credentials answer which
// Credential Query (format `dc+sd-jwt` with `meta.vct_values`, or `mso_mdoc` with
// `meta.doctype_value`; claims paths and `values`), which
// claims are required and which optional (`claim_sets`: any one option suffices, the first is
// preferred), and which Credential Queries to answer (`credential_sets`, Section 6.2).
import { claimAt } from "./sdjwt.js";
import { WalletError } from "./util.js";

function claimOk(claims, spec) {
  const value = claimAt(claims, spec.path);
  if (value === undefined) return false;
  if (!Array.isArray(spec.values)) return true;
  const found = Array.isArray(value) && spec.path.includes(null) ? value : [value];
  return found.some((v) => spec.values.includes(v));
}

function validQuery(query) {
  if (!query || !Array.isArray(query.credentials) || !query.credentials.length) {
    throw new WalletError("bad_request", "The request has no credential query.");
  }
  for (const cq of query.credentials) {
    if (typeof cq.id !== "string" || typeof cq.format !== "string") throw new WalletError("bad_request", "A credential query is malformed.");
    for (const c of cq.claims || []) {
      if (!Array.isArray(c.path) || !c.path.length) throw new WalletError("bad_request", "A claims path is malformed.");
    }
  }
}

/**
 * Whether the stored credential has the query's format and type: `dc+sd-jwt` by `meta.vct_values`,
 * `mso_mdoc` by `meta.doctype_value` (REQUIRED for mdoc, OpenID4VP 1.0 Appendix B.2.3) and claims
 * paths of exactly [namespace, element] (Appendix B.2.4).
 */
function typeMatches(cq, credential) {
  if (cq.format !== credential.format) return false;
  if (cq.format === "mso_mdoc") {
    const twoNames = (cq.claims || []).every((c) => c.path.length === 2 && c.path.every((p) => typeof p === "string"));
    return twoNames && typeof cq.meta?.doctype_value === "string" && cq.meta.doctype_value === credential.doctype;
  }
  if (cq.format !== "dc+sd-jwt") return false;
  const vcts = cq.meta?.vct_values;
  return !Array.isArray(vcts) || vcts.includes(credential.claims.vct);
}

/** How `credential` (a stored wallet credential with decoded claims) answers credential query `cq`; null if it cannot. */
export function matchCredential(cq, credential) {
  if (!typeMatches(cq, credential)) return null;
  const specs = cq.claims || [];
  if (!specs.length) return { required: [], optional: [], options: [[]] };
  const byId = new Map(specs.map((c, i) => [c.id ?? `#${i}`, c]));
  const sets = Array.isArray(cq.claim_sets) && cq.claim_sets.length ? cq.claim_sets : [[...byId.keys()]];
  const options = sets.filter((set) => set.every((id) => byId.has(id) && claimOk(credential.claims, byId.get(id))));
  if (!options.length) return null;
  const required = [...byId.keys()].filter((id) => options.every((o) => o.includes(id)));
  const optional = [...new Set(options.flat())].filter((id) => !required.includes(id));
  const spec = (id) => ({ id, path: byId.get(id).path, preferred: options[0].includes(id), retain: byId.get(id).intent_to_retain === true });
  return { required: required.map(spec), optional: optional.map(spec), options };
}

/**
 * Pick what to present: [{query, credential, match}] for the Credential Queries to answer.
 *
 * `credential_sets` (Section 6.2) may offer alternatives: `sets[i].usable` lists the options this
 * wallet can answer, `sets[i].chosen` the one taken (the holder's `choices[i]` when usable, else the
 * first usable; -1: an optional set left out). The holder chooses; the verifier checks the result.
 */
export function planPresentation(query, credentials, choices = []) {
  validQuery(query);
  const candidates = new Map();
  for (const cq of query.credentials) {
    const found = [];
    for (const credential of credentials) {
      const match = matchCredential(cq, credential);
      if (match) found.push({ credential, match });
    }
    candidates.set(cq.id, { query: cq, found });
  }
  const given = Array.isArray(query.credential_sets) ? query.credential_sets : [{ options: [query.credentials.map((c) => c.id)], required: true }];
  const answer = [];
  const sets = [];
  for (const [i, set] of given.entries()) {
    const options = set.options || [];
    const usable = options.map((ids, k) => (ids.every((id) => candidates.get(id)?.found.length) ? k : -1)).filter((k) => k >= 0);
    const required = set.required !== false;
    const wanted = choices[i];
    const chosen = usable.includes(wanted) || (wanted === -1 && !required) ? wanted : usable.length ? usable[0] : -1;
    sets.push({ options, usable, required, chosen });
    if (chosen < 0) {
      if (required) return { satisfiable: false, answer: [], candidates, sets };
      continue;
    }
    for (const id of options[chosen]) if (!answer.some((a) => a.query.id === id)) answer.push({ query: candidates.get(id).query, ...candidates.get(id).found[0], all: candidates.get(id).found });
  }
  return { satisfiable: answer.length > 0, answer, candidates, sets };
}

/** The claims paths to disclose given the user's choice of optional claim ids; throws if no option is met. */
export function chosenPaths(match, optionalChosen) {
  const ids = new Set([...match.required.map((c) => c.id), ...optionalChosen]);
  if (!match.options.some((o) => o.every((id) => ids.has(id)))) {
    throw new WalletError("incomplete", "Choose the claims of at least one of the combinations the verifier accepts.");
  }
  return [...match.required, ...match.optional.filter((c) => ids.has(c.id))].map((c) => c.path);
}
