/** The progress bar, the status line and the reporter's three modes (terminal, plain, quiet). */
import { renderBar, renderStatusLine } from "../provider-shim/cli/progress-bar.js";
import { Reporter, reporterMode } from "../provider-shim/cli/reporter.js";
import { UnreachableError } from "../client/errors.js";
import type { Job } from "../api/index.js";

const job = (status: Job["status"], progress: number): Job => ({
  id: "job_01J9SCQ8Y1T3N6V0M4ZB2D5XWK",
  type: "deployment.deploy",
  status,
  progress,
  created_at: "2026-06-24T01:02:00.110Z",
  resource: { type: "deployment", id: "site_1", site_id: "site_1" },
  result: status === "succeeded" ? { release_id: "rel_1" } : null,
  error: null,
  links: { self: "/v1/jobs/x", stream: "/v1/jobs/x/stream" },
});

function capture(columns?: number) {
  const writes: string[] = [];
  return { writes, out: { write: (text: string) => writes.push(text), columns } };
}

test("renderBar fills in proportion and clamps", () => {
  expect(renderBar(0, 10)).toBe("[░░░░░░░░░░]");
  expect(renderBar(0.5, 10)).toBe("[█████░░░░░]");
  expect(renderBar(1, 10)).toBe("[██████████]");
  expect(renderBar(7, 4)).toBe("[████]");
  expect(renderBar(Number.NaN, 4)).toBe("[░░░░]");
});

test("renderStatusLine shows bar, percent, status, id and elapsed, cut to the terminal width", () => {
  expect(renderStatusLine(job("running", 0.6), 12_400)).toBe("[██████████████░░░░░░░░░░]  60% running   job_01J9SCQ8Y1T3N6V0M4ZB2D5XWK  12s");
  expect(renderStatusLine(job("running", 0.6), 0, 30)).toHaveLength(29);
});

test("on a terminal: one line redrawn in place, ended with a newline", () => {
  const { writes, out } = capture(200);
  const reporter = new Reporter("tty", out);
  reporter.update(job("queued", 0));
  reporter.update(job("running", 0.5));
  reporter.retrying(new UnreachableError("GET http://x/v1/jobs/y: ECONNREFUSED"), 2000);
  reporter.finish();
  expect(writes.slice(0, 3).every((w) => w.startsWith("\r\x1b[2K["))).toBe(true);
  expect(writes[1]).toContain(" 50% running");
  expect(writes[2]).toContain("(retrying in 2s: GET http://x/v1/jobs/y: ECONNREFUSED)");
  expect(writes.at(-1)).toBe("\n");
});

test("off a terminal: one plain line per state change, repeats dropped, no control characters", () => {
  const { writes, out } = capture();
  const reporter = new Reporter("plain", out);
  reporter.update(job("queued", 0));
  reporter.update(job("queued", 0));
  reporter.update(job("running", 0.5));
  reporter.update(job("succeeded", 1));
  reporter.note("the stream was cut\r\n(ECONNRESET)");
  reporter.finish();
  expect(writes.join("")).toBe(
    "jobgate: job_01J9SCQ8Y1T3N6V0M4ZB2D5XWK queued 0%\n" +
      "jobgate: job_01J9SCQ8Y1T3N6V0M4ZB2D5XWK running 50%\n" +
      'jobgate: job_01J9SCQ8Y1T3N6V0M4ZB2D5XWK succeeded 100% {"release_id":"rel_1"}\n' +
      "jobgate: the stream was cut (ECONNRESET)\n",
  );
});

test("--quiet prints nothing", () => {
  const { writes, out } = capture();
  const reporter = new Reporter("quiet", out);
  reporter.update(job("running", 0.5));
  reporter.retrying(new UnreachableError("down"), 1000);
  reporter.note("x");
  reporter.finish();
  expect(writes).toEqual([]);
});

test("the mode follows --quiet, then whether stderr is a terminal", () => {
  expect(reporterMode({ quiet: true }, { isTTY: true })).toBe("quiet");
  expect(reporterMode({}, { isTTY: true })).toBe("tty");
  expect(reporterMode({}, { isTTY: false })).toBe("plain");
  expect(reporterMode({}, {})).toBe("plain");
});
