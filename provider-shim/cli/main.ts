#!/usr/bin/env node
import { Command } from "commander";
import { registerServe } from "./commands/serve.js";

const program = new Command("jobgate")
  .description("Wait on 202 Accepted jobs: serve the jobs API, wait on jobs from CI and Terraform.")
  .showHelpAfterError()
  .exitOverride((error) => process.exit(error.exitCode === 0 ? 0 : 2));

registerServe(program);

await program.parseAsync(process.argv);
