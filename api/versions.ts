/** The `Forge-Version`s this project speaks (spec §2), newest last. */
export const SUPPORTED_VERSIONS = ["2026-06-23"] as const;
export type ForgeVersion = (typeof SUPPORTED_VERSIONS)[number];
export const LATEST_VERSION: ForgeVersion = SUPPORTED_VERSIONS[SUPPORTED_VERSIONS.length - 1]!;
/** The form of a version a client may send: a date. */
export const FORGE_VERSION_PATTERN = /^\d{4}-\d{2}-\d{2}$/;

export function isSupportedVersion(value: string): value is ForgeVersion {
  return (SUPPORTED_VERSIONS as readonly string[]).includes(value);
}
