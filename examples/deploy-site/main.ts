/**
 * The CDKTF app `cdktf.json` points at: `node dist/examples/deploy-site/main.js` writes
 * `cdktf.out/stacks/deploy-site/cdk.tf.json` (local-exec runners) and
 * `cdktf.out/stacks/deploy-site-provider/cdk.tf.json` (the same on the jobgate provider) —
 * no cdktf CLI needed; `npx cdktf synth` runs the same command when the CLI is installed.
 */
import { App } from "cdktf";
import { DeploySiteStack } from "./stack.js";

const app = new App();
new DeploySiteStack(app, "deploy-site");
new DeploySiteStack(app, "deploy-site-provider", { runner: "provider" });
app.synth();
