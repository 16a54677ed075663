/**
 * ETags and `If-None-Match` (RFC 9110 §8.8.3, §13.1.2). The ETag is the seed's form,
 * `"w/job-<version>"` (a strong tag whose opaque part starts with `w/`). Comparisons
 * are weak, so `"w/job-3"` and `W/"w/job-3"` both match version 3.
 */
export function etagOf(version: number): string {
  return `"w/job-${version}"`;
}

const JOB_ETAG = /^(?:W\/)?"w\/job-(\d{1,15})"$/;

/** The version a job ETag carries, or undefined when it is not one. */
export function versionOfEtag(etag: string | null | undefined): number | undefined {
  const match = etag === undefined || etag === null ? null : JOB_ETAG.exec(etag.trim());
  if (match === null) return undefined;
  const version = Number(match[1]);
  return version >= 1 ? version : undefined;
}

/** Weak comparison (RFC 9110 §8.8.3.2): `W/"x"` equals `"x"`. */
export function sameEtag(a: string, b: string): boolean {
  const strip = (tag: string): string => tag.trim().replace(/^W\//i, "");
  return strip(a) === strip(b);
}

/**
 * True when the header matches the current ETag: `*`, or any listed entity-tag whose
 * opaque part equals ours. Malformed members are skipped, as caches do.
 */
export function ifNoneMatchMatches(header: string, etag: string): boolean {
  if (header === etag) return true; // the common case: the client echoes what we sent
  let i = 0;
  const n = header.length;
  while (i < n) {
    const c = header.charCodeAt(i);
    if (c === 0x20 || c === 0x09 || c === 0x2c /* , */) {
      i++;
      continue;
    }
    if (c === 0x2a /* * */) return true;
    if (c === 0x57 /* W */ && header.charCodeAt(i + 1) === 0x2f /* / */) i += 2;
    if (header.charCodeAt(i) !== 0x22 /* " */) {
      // Not an entity-tag: skip to the next comma.
      const comma = header.indexOf(",", i);
      if (comma === -1) return false;
      i = comma + 1;
      continue;
    }
    const close = header.indexOf('"', i + 1);
    if (close === -1) return false;
    // Ours is always `"…"`, so its opaque part with the quotes is the whole tag.
    if (close - i + 1 === etag.length && header.startsWith(etag, i)) return true;
    i = close + 1;
  }
  return false;
}

/** The newest job version an `If-None-Match` list names (`*` and foreign tags name none), or undefined. */
export function newestVersionIn(header: string): number | undefined {
  let newest: number | undefined;
  for (const member of header.split(",")) {
    const version = versionOfEtag(member);
    if (version !== undefined && (newest === undefined || version > newest)) newest = version;
  }
  return newest;
}
