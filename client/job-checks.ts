/** What the client accepts as a job from an answer, and how it describes one. */
import { looksLikeJob, type Job } from "../api/job.js";
import { invalidResponse } from "./response-errors.js";

interface Answer {
  readonly status: number;
  readonly headers: Headers;
}

/** `value` when it is a job object; else an `invalid_response` error naming `what`. */
export function checkJob(value: unknown, answer: Answer, what: string): Job {
  if (!looksLikeJob(value)) throw invalidResponse(answer.status, answer.headers, what, "expected a job envelope { data: { id, status, … } }");
  return value;
}

/** `status progress%` of a job, as status lines and error messages show it. */
export function describeJob(job: Job): string {
  const percent = Math.round((job.progress ?? 0) * 100);
  return `${job.status} ${percent}%`;
}
