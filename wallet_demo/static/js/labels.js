// Labels from SD-JWT VC Type Metadata (draft-ietf-oauth-sd-jwt-vc Section 6): no crypto, so the
// relying-party page can use the card helpers without loading the wallet's libraries.

/** Labels of a claim path by locale, from type metadata. */
export function claimLabels(typeMetadata, path) {
  const key = JSON.stringify(path);
  const claim = (typeMetadata?.claims || []).find((c) => JSON.stringify(c.path) === key);
  const out = {};
  for (const d of claim?.display || []) out[d.locale || d.lang] = d.label || d.name;
  return out;
}

export function typeNames(typeMetadata) {
  const out = {};
  for (const d of typeMetadata?.display || []) out[d.locale || d.lang] = d.name;
  return out;
}
