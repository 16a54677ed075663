/**
 * The low-level SSE reader: the events of one open `text/event-stream` body, as they
 * arrive, with a silence timer — a stream that sends nothing (not even a heartbeat) for
 * `idleTimeoutMs` (or `firstByteTimeoutMs` before its first byte) is cut by aborting
 * `connection` with `STREAM_SILENT`. Used by the client's `streamJob` and by proxy
 * mode's upstream watch; neither parses SSE itself.
 */
import { SseParser, type SseEvent } from "./sse-parser.js";

/** The reason `connection` is aborted with when the stream went silent. */
export const STREAM_SILENT = Symbol("stream silent");

export interface ReadEventsOptions {
  /** Aborted (with `STREAM_SILENT`) when the stream goes silent; it should be the fetch's signal. */
  readonly connection: AbortController;
  readonly idleTimeoutMs: number;
  /** Silence allowed before the first byte. @default idleTimeoutMs */
  readonly firstByteTimeoutMs?: number;
  /** The id the stream resumes after (it carries over events without `id:`). */
  readonly lastEventId?: string | undefined;
  /** A `retry:` field: the reconnection delay the server asks for, in ms. */
  readonly onRetry?: (ms: number) => void;
  /** The first byte arrived (the stream is not buffered). */
  readonly onFirstByte?: () => void;
  /** A comment line (`: …`), e.g. a heartbeat. */
  readonly onComment?: (text: string) => void;
}

export async function* readEvents(body: AsyncIterable<Uint8Array>, options: ReadEventsOptions): AsyncGenerator<SseEvent, void, undefined> {
  const pending: SseEvent[] = [];
  const parser = new SseParser(
    {
      onEvent: (event) => pending.push(event),
      ...(options.onRetry !== undefined ? { onRetry: options.onRetry } : {}),
      ...(options.onComment !== undefined ? { onComment: options.onComment } : {}),
    },
    options.lastEventId,
  );
  const decoder = new TextDecoder();
  let silence: ReturnType<typeof setTimeout> | undefined;
  const arm = (ms: number): void => {
    clearTimeout(silence);
    silence = setTimeout(() => options.connection.abort(STREAM_SILENT), ms);
  };
  let sawByte = false;
  arm(options.firstByteTimeoutMs ?? options.idleTimeoutMs);
  try {
    for await (const chunk of body) {
      if (!sawByte) {
        sawByte = true;
        options.onFirstByte?.();
      }
      arm(options.idleTimeoutMs);
      parser.push(decoder.decode(chunk, { stream: true }));
      while (pending.length > 0) yield pending.shift()!;
    }
    parser.end();
  } finally {
    clearTimeout(silence);
  }
}
