/** What resources get from the configured provider. */
import type { JobsClient } from "../../client/index.js";
import type { Diagnostic } from "./diagnostics.js";
import type { Logger } from "./logging.js";

export interface ProviderContext {
  readonly logger: Logger;
  /** Aborted by StopProvider (Ctrl-C in Terraform): every wait ends at once. */
  readonly stopSignal: AbortSignal;
  /** The configured client, or the diagnostic that says why there is none. */
  client(): JobsClient | Diagnostic;
}
