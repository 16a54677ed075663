/** The provider's log lines (hclog JSON on stderr): secrets cut from every line, in whatever form JSON gives them. */
import { hclogTimestamp, Logger } from "../provider-shim/provider/logging.js";

test("a registered secret is cut from every line, also where JSON escapes it", () => {
  const lines: string[] = [];
  const logger = new Logger("trace", (line) => lines.push(line));
  const token = 'mfk_a"b\\c_secret';
  logger.redact(token);
  logger.error(`GET /v1/jobs/job_1 answered 401 for ${token}`, { detail: `Bearer ${token}` });
  expect(lines).toHaveLength(1);
  expect(lines[0]).not.toContain("secret");
  expect(JSON.parse(lines[0]!)).toMatchObject({ "@message": "GET /v1/jobs/job_1 answered 401 for [redacted]", detail: "Bearer [redacted]" });
});

test("timestamps are in hclog's layout, which go-plugin parses (six fraction digits)", () => {
  expect(hclogTimestamp(new Date("2026-06-24T01:02:03.456Z"))).toBe("2026-06-24T01:02:03.456000Z");
});
