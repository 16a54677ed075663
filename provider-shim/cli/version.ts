/** The CLI's version: the package's, as the provider reads it (one reader of package.json). */
export { PROVIDER_VERSION as CLI_VERSION } from "../provider/version.js";
