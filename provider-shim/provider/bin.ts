#!/usr/bin/env node
/** The executable: `node dist/provider-shim/provider/bin.js`, and the bundle's entry. */
import { main } from "./main.js";

main().catch((error: unknown) => {
  process.stderr.write(`terraform-provider-jobgate: ${(error as Error)?.stack ?? String(error)}\n`);
  process.exit(1);
});
