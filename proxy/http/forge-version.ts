import { isSupportedVersion, LATEST_VERSION, SUPPORTED_VERSIONS } from "../../api/versions.js";
import { ApiError } from "./api-error.js";

/**
 * Resolves the `Forge-Version` request header. Missing → latest. Unknown → 400
 * `unsupported_version`, checked before auth; the caller still echoes the latest.
 */
export function resolveVersion(header: string | string[] | undefined): string {
  if (header === undefined || header === "") return LATEST_VERSION;
  const value = Array.isArray(header) ? header[0]! : header.trim();
  if (isSupportedVersion(value)) return value;
  throw new ApiError(
    "unsupported_version",
    `Forge-Version ${JSON.stringify(value).slice(0, 80)} is not supported; supported: ${SUPPORTED_VERSIONS.join(", ")}`,
  );
}
