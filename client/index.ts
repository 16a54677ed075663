export * from "../api/index.js";
export * from "./duration.js";
export * from "./errors.js";
export * from "./options.js";
export { JobsClient, describeJob, MIN_POLL_INTERVAL_MS, MAX_POLL_INTERVAL_MS, DEFAULT_SSE_RETRY_MS, DEFAULT_STREAM_IDLE_TIMEOUT_MS } from "./client.js";
export type {
  CallOptions,
  CallResult,
  GetJobOptions,
  GetJobResult,
  JobStream,
  JobsPage,
  ListJobsFilters,
  StreamJobOptions,
  WaitForJobOptions,
} from "./client.js";
export { SseParser, type SseEvent, type SseParserHandlers } from "./sse-parser.js";
export { backoffDelayMs, parseRetryAfterMs, retryDelayMs, type BackoffSchedule } from "./backoff.js";
