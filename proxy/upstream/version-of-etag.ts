import { versionOfEtag as parseVersion } from "../../api/etag.js";
import { HttpError } from "../../client/errors.js";

/** The version an upstream ETag (`"w/job-<version>"`) carries; a 502-style error when it carries none. */
export function versionOfEtag(etag: string | undefined): number {
  const version = parseVersion(etag);
  if (version === undefined) {
    throw new HttpError(`the upstream answered an ETag jobgate cannot read: ${JSON.stringify(etag)}`, {
      status: 502,
      code: "bad_upstream_etag",
      requestId: undefined,
    });
  }
  return version;
}
