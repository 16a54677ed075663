/**
 * Refresh (ReadResource) for both resources. It never re-runs anything:
 *
 * - a job whose stored status is terminal is not read at all — a terminal job never
 *   changes (spec §3), so there is nothing to learn and no request to make;
 * - otherwise (a tainted resource whose wait was cut, or one just imported) one GET, with
 *   `If-None-Match` from the ETag kept in private state: 304 changes nothing;
 * - a job the API no longer keeps (404: past its retention) leaves the state as it was —
 *   except right after an import, where it means the id was wrong.
 */
import { isNotFoundError } from "../../../client/index.js";
import { record, type CtyObject } from "../cty/values.js";
import { errorDiag } from "../diagnostics.js";
import type { ProviderContext } from "../provider-context.js";
import type { StateResult } from "./definition.js";
import { decodePrivate, encodePrivate, outcomeValues, withValues } from "./job-attributes.js";
import { apiErrorDiag } from "./wait-for-job.js";

export async function readJobState(typeName: string, state: CtyObject, priv: Buffer, ctx: ProviderContext): Promise<StateResult> {
  const unchanged: StateResult = { state, private: priv, diagnostics: [] };
  const jobId = state.job_id;
  if (typeof jobId !== "string") return unchanged;
  const status = state.status;
  if (status === "succeeded" || status === "failed") return unchanged;
  const client = ctx.client();
  if (!("getJob" in client)) return { ...unchanged, diagnostics: [client] };
  const stored = decodePrivate(priv);
  const imported = status === null || status === undefined;
  try {
    const read = await client.getJob(jobId, { ...(stored.etag !== undefined && !imported ? { etag: stored.etag } : {}), signal: ctx.stopSignal });
    if (read.notModified) return unchanged;
    const next = withValues(state, withValues(outcomeValues(read.job), record([["id", read.job.id]])));
    return { state: next, private: encodePrivate({ job_id: jobId, ...(read.etag !== undefined ? { etag: read.etag } : {}) }), diagnostics: [] };
  } catch (error) {
    if (isNotFoundError(error)) {
      if (imported) {
        return {
          state: null,
          private: Buffer.alloc(0),
          diagnostics: [
            errorDiag(
              `Cannot import ${typeName}: job ${jobId} not found`,
              "The jobs API has no job with this id that the token may see (a job of another account, or outside the token's team or site, reads as not found; finished jobs are kept for the server's retention).",
            ),
          ],
        };
      }
      ctx.logger.info(`${typeName}: job ${jobId} is no longer kept by the API (404); the state keeps its last known values`, { job_id: jobId });
      return unchanged;
    }
    return { ...unchanged, diagnostics: [apiErrorDiag(error, `reading job ${jobId}`)] };
  }
}
