/** `jobgate/client`: the typed jobs client and the contract it speaks; loads nothing of the server or the constructs. */
export * from "../api/index.js";
export * from "./duration.js";
export * from "./errors.js";
export * from "./options.js";
export { JobsClient, type CallOptions, type CallResult, type JobsPage, type ListJobsFilters } from "./client.js";
export { describeJob } from "./job-checks.js";
export { MIN_POLL_INTERVAL_MS, MAX_POLL_INTERVAL_MS, type GetJobOptions, type GetJobResult, type WaitForJobOptions } from "./long-poll.js";
export { DEFAULT_STREAM_IDLE_TIMEOUT_MS, type JobStream, type StreamJobOptions } from "./job-stream.js";
export { SseParser, type SseEvent, type SseParserHandlers } from "./sse-parser.js";
export { backoffDelayMs, parseRetryAfterMs, retryDelayMs, type BackoffSchedule } from "./backoff.js";
export type { JobWaitOutcome, WaitForJobsOptions, WaitMode } from "./wait-for-jobs.js";
export { checkJobIds } from "./job-ids.js";
export type { WatchJobOptions } from "./watch-job.js";
export { HoldWindow, type HoldCut } from "./hold-window.js";
export { isLoopbackHost, printableProxy, proxyFor, proxySettings, type ProxySettings } from "./proxy-env.js";
