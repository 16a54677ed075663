/** The one mapping from the client's errors to spec §9's exit codes, and the stderr line for each. */
import { DurationError } from "../client/duration.js";
import { AuthError, ConfigError, HttpError, JobFailedError, NotFoundError, TimeoutError, UnreachableError } from "../client/errors.js";
import type { Job } from "../api/index.js";
import { EXIT, errorLine, exitCodeOf } from "../provider-shim/cli/exit-codes.js";

const failed: Job = {
  id: "job_1",
  type: "deployment.deploy",
  status: "failed",
  progress: 0.2,
  created_at: "2026-06-24T01:02:00.110Z",
  resource: { type: "deployment", id: "site_1", site_id: "site_1" },
  result: null,
  error: { code: "deploy_failed", message: "out of quota" },
  links: { self: "/v1/jobs/job_1", stream: "/v1/jobs/job_1/stream" },
};
const http = (status: number, code: string) => ({ status, code, requestId: "req_1" });

test.each(
  [
    ["JobFailedError", new JobFailedError(failed), EXIT.failed, "jobgate: job job_1 failed: deploy_failed: out of quota"],
    ["ConfigError", new ConfigError("no token: set JOBGATE_TOKEN"), EXIT.usage, "jobgate: no token: set JOBGATE_TOKEN"],
    ["DurationError", new DurationError('--timeout: "5" is not a duration'), EXIT.usage, 'jobgate: --timeout: "5" is not a duration'],
    ["HttpError 400", new HttpError("400 unsupported_version", http(400, "unsupported_version")), EXIT.usage, "jobgate: 400 unsupported_version"],
    ["HttpError 409", new HttpError("409 conflict", http(409, "conflict")), EXIT.usage, "jobgate: 409 conflict"],
    [
      "TimeoutError",
      new TimeoutError("timed out after 1s; last state: running 50%", failed),
      EXIT.timeout,
      "jobgate: timed out after 1s; last state: running 50%",
    ],
    ["AuthError 401", new AuthError("401 unauthenticated", http(401, "unauthenticated")), EXIT.auth, "jobgate: 401 unauthenticated"],
    ["AuthError 403", new AuthError("403 insufficient_scope", http(403, "insufficient_scope")), EXIT.auth, "jobgate: 403 insufficient_scope"],
    ["NotFoundError", new NotFoundError("404 not_found", http(404, "not_found")), EXIT.notFound, "jobgate: 404 not_found"],
    ["UnreachableError", new UnreachableError("ECONNREFUSED"), EXIT.unreachable, "jobgate: ECONNREFUSED"],
    ["invalid_response", new HttpError("not the jobs API", http(200, "invalid_response")), EXIT.unreachable, "jobgate: not the jobs API"],
    ["anything else", new RangeError("bug"), EXIT.failed, "jobgate: unexpected error: bug"],
  ].map(([name, error, code, line]) => [name, code, error, line] as const),
)("%s → exit %i", (_name, code, error, line) => {
  expect(exitCodeOf(error)).toBe(code);
  expect(errorLine(error)).toBe(line);
});

test("nothing unrecognised ever exits 0", () => {
  for (const value of [undefined, null, "oops", 0, {}, Symbol("x")]) expect(exitCodeOf(value)).not.toBe(0);
});
