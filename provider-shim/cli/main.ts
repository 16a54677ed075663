#!/usr/bin/env node
import { Command } from "commander";
import { registerCall } from "./commands/call.js";
import { registerJobs } from "./commands/jobs.js";
import { registerProvider } from "./commands/provider.js";
import { registerServe } from "./commands/serve.js";
import { registerStore } from "./commands/store.js";
import { EXIT } from "./exit-codes.js";
import { CLI_VERSION } from "./version.js";

const program = new Command("jobgate")
  .description("Wait on 202 Accepted jobs: serve the jobs API, wait on jobs from CI and Terraform.")
  .version(CLI_VERSION, "-V, --version", "print the version")
  .showHelpAfterError()
  .exitOverride((error) => process.exit(error.exitCode === 0 ? 0 : EXIT.usage))
  .addHelpText(
    "after",
    `
Examples:
  $ jobgate serve --keys examples/keys.json
  $ JOBGATE_STORE_URL=postgres://jobgate:secret@db:5432/jobgate jobgate serve --keys keys.json   # one of several replicas
  $ export JOBGATE_API_URL=http://127.0.0.1:8080 JOBGATE_TOKEN=mfk_dev_all
  $ jobgate call POST /v1/sites/site_1/deploys --data '{"duration_ms": 10000}' --wait
  $ jobgate jobs wait job_01J9SCQ8Y1T3N6V0M4ZB2D5XWK --timeout 30m
  $ jobgate provider install
`,
  );

// Each command loads what it runs only when it runs (serve imports the server in its action,
// store migrate the PostgreSQL client in its).
registerServe(program);
registerStore(program);
registerJobs(program);
registerCall(program);
registerProvider(program);

await program.parseAsync(process.argv);
