/**
 * The error tree and the options: classes, names, causes, cross-realm guards, messages
 * that name the option, and a token that never shows in a message.
 */
import { inspect } from "node:util";
import { runInNewContext } from "node:vm";
import nock from "nock";
import { JobsClient } from "../client/client.js";
import {
  AuthError,
  ConfigError,
  HttpError,
  JobFailedError,
  JobgateError,
  NotFoundError,
  TimeoutError,
  UnreachableError,
  isAuthError,
  isConfigError,
  isHttpError,
  isJobFailedError,
  isJobgateError,
  isNotFoundError,
  isTimeoutError,
  isUnreachableError,
} from "../client/errors.js";
import { normalizeClientOptions } from "../client/options.js";
import type { Job } from "../api/index.js";

// nock patches Node's own http module, which every test file in this worker shares: take it off when this file ends.
afterAll(() => nock.restore());

const failedJob: Job = {
  id: "job_9",
  type: "deployment.deploy",
  status: "failed",
  progress: 0.4,
  created_at: "2026-06-24T01:02:00.110Z",
  resource: { type: "deployment", id: "site_1", site_id: "site_1" },
  result: null,
  error: { code: "deploy_failed", message: "the build step exited 2" },
  links: { self: "/v1/jobs/job_9", stream: "/v1/jobs/job_9/stream" },
};

describe("the tree", () => {
  const details = { status: 404, code: "not_found", requestId: "req_1" };
  const cases: [JobgateError, string, ((v: unknown) => boolean)[]][] = [
    [new ConfigError("x"), "ConfigError", [isConfigError]],
    [new HttpError("x", { ...details, status: 409, code: "conflict" }), "HttpError", [isHttpError]],
    [new AuthError("x", { ...details, status: 401, code: "unauthenticated" }), "AuthError", [isHttpError, isAuthError]],
    [new NotFoundError("x", details), "NotFoundError", [isHttpError, isNotFoundError]],
    [new TimeoutError("x", failedJob), "TimeoutError", [isTimeoutError]],
    [new JobFailedError(failedJob), "JobFailedError", [isJobFailedError]],
    [new UnreachableError("x", { cause: new Error("ECONNREFUSED") }), "UnreachableError", [isUnreachableError]],
  ];
  const allGuards = [isConfigError, isHttpError, isAuthError, isNotFoundError, isTimeoutError, isJobFailedError, isUnreachableError];

  test.each(cases.map(([error, name, guards]) => [name, error, guards] as const))(
    "%s: its own name, a JobgateError, and only its guards match",
    (name, error, guards) => {
      expect(error.name).toBe(name);
      expect(error).toBeInstanceOf(JobgateError);
      expect(isJobgateError(error)).toBe(true);
      for (const guard of allGuards) expect(guard(error)).toBe(guards.includes(guard));
    },
  );

  test("guards work across realms (brand + name, not instanceof)", () => {
    // An error built in another realm: its prototype chain is foreign, the brand is not.
    const foreign = runInNewContext(`const e = new Error("job job_9 failed"); e.name = "JobFailedError"; e[Symbol.for("jobgate.error")] = true; e`) as unknown;
    expect(foreign instanceof Error).toBe(false);
    expect(isJobgateError(foreign)).toBe(true);
    expect(isJobFailedError(foreign)).toBe(true);
    expect(isTimeoutError(foreign)).toBe(false);
    // A lookalike without the brand is not ours.
    expect(isJobFailedError(Object.assign(new Error("x"), { name: "JobFailedError" }))).toBe(false);
    expect(isJobgateError(null)).toBe(false);
    expect(isJobgateError("JobgateError")).toBe(false);
  });

  test("JobFailedError carries the job and its error; TimeoutError the last state; causes are kept", () => {
    const failed = new JobFailedError(failedJob);
    expect(failed.message).toBe("job job_9 failed: deploy_failed: the build step exited 2");
    expect(failed.jobError).toEqual(failedJob.error);
    expect(failed.job).toBe(failedJob);
    expect(new TimeoutError("late", failedJob).lastJob).toBe(failedJob);
    const cause = new Error("socket hang up");
    expect(new UnreachableError("down", { cause }).cause).toBe(cause);
  });
});

describe("the token never shows", () => {
  const TOKEN = "mfk_live_super_secret";
  beforeAll(() => nock.disableNetConnect());
  afterEach(() => nock.cleanAll());
  afterAll(() => nock.enableNetConnect());

  test("even when a server echoes it back in an error message", async () => {
    nock("http://api.test")
      .get("/v1/jobs/job_1")
      .reply(401, { error: { code: "unauthenticated", message: `token ${TOKEN} is not valid` } });
    const error = await new JobsClient({ apiUrl: "http://api.test", token: TOKEN }).getJob("job_1").catch((e: unknown) => e);
    expect(isAuthError(error)).toBe(true);
    expect((error as Error).message).toBe("GET /v1/jobs/job_1: 401 unauthenticated: token [token] is not valid");
    expect(JSON.stringify(error)).not.toContain(TOKEN);
  });

  test("nor when a client is logged or serialized", () => {
    const client = new JobsClient({ apiUrl: "http://api.test", token: TOKEN });
    expect(JSON.stringify(client)).not.toContain(TOKEN);
    expect(inspect(client, { showHidden: true, depth: 5 })).not.toContain(TOKEN);
    expect(client.apiUrl).toBe("http://api.test");
  });

  test("an apiUrl with credentials is refused before anything is sent", () => {
    expect(() => new JobsClient({ apiUrl: `https://user:${TOKEN}@api.test`, token: TOKEN })).toThrow(
      "apiUrl must not contain credentials; pass the token as the token option (JOBGATE_TOKEN)",
    );
  });
});

describe("options", () => {
  test("defaults are filled in", () => {
    const normalized = normalizeClientOptions({ token: "t" });
    expect(normalized).toMatchObject({
      apiUrl: "http://127.0.0.1:8080",
      forgeVersion: "2026-06-23",
      retry: { retries: 5, minDelayMs: 500, maxDelayMs: 30_000, factor: 2 },
      longPollS: 25,
      connectTimeoutMs: 60_000,
      requestTimeoutMs: 30_000,
      userAgent: "jobgate-client",
      proxy: undefined,
    });
    expect(normalized.holds.waitS).toBe(25);
    expect(normalizeClientOptions({ token: "t", apiUrl: "http://x.test/base/" }).apiUrl).toBe("http://x.test/base");
  });

  test.each([
    [{ token: "" }, "token is required: the API's bearer token (JOBGATE_TOKEN)"],
    [{ token: "t", apiUrl: "api.test" }, 'apiUrl must be an absolute http(s) URL such as http://127.0.0.1:8080, got "api.test"'],
    [{ token: "t", apiUrl: "ftp://api.test" }, 'apiUrl must use http or https, got "ftp:"'],
    [{ token: "t", forgeVersion: "latest" }, 'forgeVersion must be a date such as 2026-06-23, got "latest"'],
    [{ token: "t", retry: { retries: -1 } }, "retry.retries must be a whole number from 0 to 1000, got -1"],
    [{ token: "t", retry: { minDelayMs: 5000, maxDelayMs: 100 } }, "retry.maxDelayMs (100) must not be less than retry.minDelayMs (5000)"],
    [{ token: "t", longPollS: 0 }, "longPollS must be a whole number from 1 to 3600, got 0"],
    [{ token: "t", fetch: "no" }, "fetch must be a function"],
    [
      { token: "t", apiUrl: "https://api.test/v1" },
      "apiUrl must be the API's base URL without the version path: the client adds /v1 itself; use https://api.test instead of https://api.test/v1",
    ],
    [{ token: "t", connectTimeoutMs: 0 }, "connectTimeoutMs must be a number from 1 to 86400000, got 0"],
  ])("%j is refused with a message naming the option", (options, message) => {
    let error: unknown;
    try {
      normalizeClientOptions(options as never);
    } catch (e) {
      error = e;
    }
    expect(isConfigError(error)).toBe(true);
    expect((error as Error).message).toBe(message);
  });
});
