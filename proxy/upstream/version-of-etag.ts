import { HttpError } from "../../client/errors.js";

const JOB_ETAG = /^(?:W\/)?"w\/job-(\d{1,15})"$/;

/** The version an upstream ETag (`"w/job-<version>"`) carries. */
export function versionOfEtag(etag: string | undefined): number {
  const match = etag === undefined ? null : JOB_ETAG.exec(etag.trim());
  if (match === null) {
    throw new HttpError(`the upstream answered an ETag jobgate cannot read: ${JSON.stringify(etag)}`, {
      status: 502,
      code: "bad_upstream_etag",
      requestId: undefined,
    });
  }
  return Number(match[1]);
}
