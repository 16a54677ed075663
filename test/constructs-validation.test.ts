/**
 * Props are checked at synth, first thing in the constructor, with messages that name
 * the construct and the prop and say what would be accepted.
 */
import { TerraformVariable, Testing } from "cdktf";
import type { Construct } from "constructs";
import { AsyncOperation, isConstructPropsError, JobWait, type AsyncOperationProps, type JobWaitProps } from "../provider-shim/constructs/index.js";

function jobWait(props: Partial<JobWaitProps>): () => void {
  return () => Testing.synthScope((scope: Construct) => new JobWait(scope, "wait", props));
}

function operation(props: Partial<AsyncOperationProps>): () => void {
  return () => Testing.synthScope((scope: Construct) => new AsyncOperation(scope, "deploy", { method: "POST", path: "/v1/sites/site_1/deploys", ...props }));
}

describe("JobWait props", () => {
  test.each<[string, Partial<JobWaitProps>, string]>([
    ["missing jobId", {}, `JobWait "wait": "jobId" is required: a non-empty string (or a reference to another resource's attribute)`],
    ["blank jobId", { jobId: "  " }, `JobWait "wait": "jobId" is required`],
    ["jobId with shell characters", { jobId: "job_1; rm -rf /" }, `JobWait "wait": "jobId" must be a job id such as "job_01J9SC…"`],
    [
      "timeout without a unit",
      { jobId: "job_1", timeout: "30" },
      `JobWait "wait": "timeout": "30" is not a duration; expected a number with a unit, such as 90s, 30m or 1h30m (units: ms, s, m, h)`,
    ],
    ["timeout under a second", { jobId: "job_1", timeout: "500ms" }, `JobWait "wait": "timeout" must be at least 1s, got "500ms"`],
    ["timeout as a number", { jobId: "job_1", timeout: 30 as unknown as string }, `JobWait "wait": "timeout" must be a duration string`],
    [
      "unknown runner",
      { jobId: "job_1", runner: "local_exec" as never },
      `JobWait "wait": "runner" must be one of "terraform_data", "null_resource", "provider", got "local_exec"`,
    ],
    ["apiUrl with another scheme", { jobId: "job_1", apiUrl: "ftp://jobs.example.com" }, `JobWait "wait": "apiUrl" must use http or https, got "ftp"`],
    [
      "apiUrl without a scheme",
      { jobId: "job_1", apiUrl: "127.0.0.1:8080" },
      `JobWait "wait": "apiUrl" must be an absolute http(s) URL such as "http://127.0.0.1:8080", got "127.0.0.1:8080"`,
    ],
    ["apiUrl that is not a URL", { jobId: "job_1", apiUrl: "not a url" }, `JobWait "wait": "apiUrl" must be an absolute http(s) URL`],
    [
      "apiUrl with credentials",
      { jobId: "job_1", apiUrl: "https://user:mfk_secret@jobs.example.com" },
      `JobWait "wait": "apiUrl" must not carry credentials; set JOBGATE_TOKEN in the environment Terraform runs in instead`,
    ],
    [
      "forgeVersion not a date",
      { jobId: "job_1", forgeVersion: "v2" },
      `JobWait "wait": "forgeVersion" must be a date-form API version such as "2026-06-23", got "v2"`,
    ],
    ["empty cli", { jobId: "job_1", cli: [] }, `JobWait "wait": "cli" must be a non-empty array of arguments`],
    ["cli as a string", { jobId: "job_1", cli: "jobgate" as never }, `JobWait "wait": "cli" must be a non-empty array of arguments`],
    ["empty cli argument", { jobId: "job_1", cli: ["node", ""] }, `JobWait "wait": "cli": argument 1 must be a non-empty string, got ""`],
    ["onFailure typo", { jobId: "job_1", onFailure: "ignore" as never }, `JobWait "wait": "onFailure" must be one of "fail", "continue", got "ignore"`],
    ["quiet as a string", { jobId: "job_1", quiet: "yes" as never }, `JobWait "wait": "quiet" must be true or false, got "yes"`],
    [
      "the token in environment",
      { jobId: "job_1", environment: { JOBGATE_TOKEN: "mfk_x" } },
      `JobWait "wait": "environment" must not set JOBGATE_TOKEN: it would be written into the synthesized JSON and the state; export it in the environment Terraform runs in`,
    ],
    [
      "proxy credentials in environment",
      { jobId: "job_1", environment: { HTTPS_PROXY: "http://ci:s3cret@proxy.corp:3128" } },
      `JobWait "wait": "environment": HTTPS_PROXY must not carry credentials (user:password@): they would be written into the synthesized JSON and the state; export HTTPS_PROXY in the environment Terraform runs in (local-exec passes it on)`,
    ],
    [
      "proxy credentials in environment, lowercase and without a scheme",
      { jobId: "job_1", environment: { http_proxy: "ci:s3cret@proxy.corp:3128" } },
      `JobWait "wait": "environment": http_proxy must not carry credentials`,
    ],
    [
      "the job id in environment",
      { jobId: "job_1", environment: { JOBGATE_JOB_ID: "job_2" } },
      `JobWait "wait": "environment" must not set JOBGATE_JOB_ID; use the "jobId" prop instead`,
    ],
    [
      "the API URL in environment",
      { jobId: "job_1", environment: { JOBGATE_API_URL: "http://x" } },
      `JobWait "wait": "environment" must not set JOBGATE_API_URL; use the "apiUrl" prop instead`,
    ],
    ["a bad variable name", { jobId: "job_1", environment: { "A-B": "1" } }, `JobWait "wait": "environment": "A-B" is not a valid environment variable name`],
  ])("%s", (_name, props, message) => {
    expect(jobWait(props)).toThrow(message);
  });

  test("a proxy without credentials passes through environment", () => {
    expect(jobWait({ jobId: "job_1", environment: { HTTPS_PROXY: "http://proxy.corp:3128", NO_PROXY: ".corp.example" } })).not.toThrow();
  });

  test("the error is a ConstructPropsError, recognisable across realms", () => {
    let caught: unknown;
    try {
      jobWait({ jobId: "job_1", timeout: "soon" })();
    } catch (error) {
      caught = error;
    }
    expect(isConstructPropsError(caught)).toBe(true);
    expect((caught as Error).name).toBe("ConstructPropsError");
  });

  test("a timeout referenced at apply time is refused: it is written into the command", () => {
    expect(() =>
      Testing.synthScope((scope) => {
        const timeout = new TerraformVariable(scope, "timeout", { type: "string" });
        new JobWait(scope, "wait", { jobId: "job_1", timeout: timeout.stringValue });
      }),
    ).toThrow(`JobWait "wait": "timeout" must be a literal duration such as "30m", not a reference resolved at apply time`);
  });

  test("values known only at apply time are left for Terraform and the CLI to check", () => {
    expect(() =>
      Testing.synthScope((scope) => {
        const v = new TerraformVariable(scope, "v", { type: "string" });
        new JobWait(scope, "wait", { jobId: v.stringValue, apiUrl: v.stringValue, forgeVersion: "${var.v}" });
      }),
    ).not.toThrow();
  });
});

describe("AsyncOperation props", () => {
  test.each<[string, Partial<AsyncOperationProps>, string]>([
    ["missing method", { method: undefined }, `AsyncOperation "deploy": "method" is required`],
    ["lowercase method", { method: "post" as never }, `AsyncOperation "deploy": "method" must be one of "POST", "PUT", "PATCH", "DELETE", got "post"`],
    ["GET", { method: "GET" as never }, `AsyncOperation "deploy": "method" must be one of "POST", "PUT", "PATCH", "DELETE", got "GET"`],
    [
      "relative path",
      { path: "v1/sites/site_1/deploys" },
      `AsyncOperation "deploy": "path" must start with "/" (a path on the API such as "/v1/sites/site_1/deploys"; set the server with "apiUrl"), got "v1/sites/site_1/deploys"`,
    ],
    ["a full URL as path", { path: "http://127.0.0.1:8080/v1/sites/site_1/deploys" }, `AsyncOperation "deploy": "path" must start with "/"`],
    ["protocol-relative path", { path: "//evil.example.com/x" }, `AsyncOperation "deploy": "path" must start with "/"`],
    ["path with a space", { path: "/v1/sites/site 1/deploys" }, `AsyncOperation "deploy": "path" must not contain whitespace or control characters`],
    ["body that is not JSON", { body: "{duration_ms: 1}" }, `AsyncOperation "deploy": "body" must be JSON text or an object:`],
    ["body as an array", { body: [1, 2] as never }, `AsyncOperation "deploy": "body" must be JSON text or an object, got [1,2]`],
    ["body too large", { body: JSON.stringify({ x: "a".repeat(100_001) }) }, `at most 100000 fit in the provisioner's environment`],
    [
      "body with DELETE",
      { method: "DELETE", body: { force: true } },
      `AsyncOperation "deploy": "body" cannot be sent with "method": "DELETE"; put the parameters in "path"`,
    ],
    [
      "idempotencyKey with PUT",
      { method: "PUT", idempotencyKey: "k1" },
      `AsyncOperation "deploy": "idempotencyKey" only applies to "method": "POST" or "PATCH" (PUT is idempotent already); remove it`,
    ],
    [
      "idempotencyKey with a space",
      { idempotencyKey: "deploy 1" },
      `AsyncOperation "deploy": "idempotencyKey" must be 1 to 255 printable ASCII characters without spaces, got "deploy 1"`,
    ],
    [
      "the body in environment",
      { environment: { JOBGATE_CALL_BODY: "{}" } },
      `AsyncOperation "deploy": "environment" must not set JOBGATE_CALL_BODY; use the "body" prop instead`,
    ],
    [
      "destroy not an object",
      { destroy: "DELETE" as never },
      `AsyncOperation "deploy": "destroy" must be an object such as { method: "DELETE", path: "/v1/…" }`,
    ],
    ["destroy without a path", { destroy: { method: "DELETE" } as never }, `AsyncOperation "deploy": "destroy.path" is required`],
    ["destroy with a relative path", { destroy: { method: "POST", path: "v1/x" } }, `AsyncOperation "deploy": "destroy.path" must start with "/"`],
    [
      "destroy with a body and DELETE",
      { destroy: { method: "DELETE", path: "/v1/x", body: "{}" } },
      `AsyncOperation "deploy": "destroy.body" cannot be sent with "destroy.method": "DELETE"; put the parameters in "destroy.path"`,
    ],
    [
      "destroy with a bad timeout",
      { destroy: { method: "POST", path: "/v1/x", timeout: "forever" } },
      `AsyncOperation "deploy": "destroy.timeout": "forever" is not a duration`,
    ],
    [
      "destroy with a bad onFailure",
      { destroy: { method: "POST", path: "/v1/x", onFailure: "skip" as never } },
      `AsyncOperation "deploy": "destroy.onFailure" must be one of "fail", "continue", got "skip"`,
    ],
  ])("%s", (_name, props, message) => {
    expect(operation(props)).toThrow(message);
  });

  test("paths, bodies and keys known only at apply time pass", () => {
    expect(() =>
      Testing.synthScope((scope) => {
        const site = new TerraformVariable(scope, "site", { type: "string" });
        new AsyncOperation(scope, "deploy", {
          method: "POST",
          path: `/v1/sites/${site.stringValue}/deploys`,
          body: site.stringValue,
          idempotencyKey: site.stringValue,
        });
      }),
    ).not.toThrow();
  });
});
