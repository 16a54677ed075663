/**
 * ETags and `If-None-Match` (RFC 9110 §8.8.3, §13.1.2). The ETag is the seed's form,
 * `"w/job-<version>"` (a strong tag whose opaque part starts with `w/`). If-None-Match
 * uses weak comparison, so `"w/job-3"` and `W/"w/job-3"` both match version 3.
 */
export function etagOf(version: number): string {
  return `"w/job-${version}"`;
}

/**
 * True when the header matches the current ETag: `*`, or any listed entity-tag whose
 * opaque part equals ours. Malformed members are skipped, as caches do.
 */
export function ifNoneMatchMatches(header: string, etag: string): boolean {
  if (header === etag) return true; // the common case: the client echoes what we sent
  const opaque = etag; // ours is always `"…"`
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
    if (close - i + 1 === opaque.length && header.startsWith(opaque, i)) return true;
    i = close + 1;
  }
  return false;
}
