/**
 * A Server-Sent Events parser (WHATWG HTML §9.2.6), fed text in arbitrary chunks.
 *
 * Robust to what the wire does: lines split across chunks, CRLF / CR / LF line ends
 * (a CR at the end of one chunk and the LF at the start of the next are one line end),
 * a leading BOM, comments, multi-line `data`, fields without a value, and unknown fields.
 */
export interface SseEvent {
  /** `event:` field, "message" when absent. */
  readonly event: string;
  /** The `data:` lines joined with "\n". */
  readonly data: string;
  /** The last event id seen so far on this stream (it carries over events without `id:`). */
  readonly id: string | undefined;
}

export interface SseParserHandlers {
  onEvent(event: SseEvent): void;
  /** A `retry:` field: the reconnection delay the server asks for, in ms. */
  onRetry?(ms: number): void;
  /** A comment line (`: …`), e.g. a heartbeat. */
  onComment?(text: string): void;
}

/** Bound on an unfinished line plus an undispatched event: a job state is a few hundred bytes. */
export const MAX_PENDING_CHARS = 4 * 1024 * 1024;

export class SseLimitError extends Error {
  override name = "SseLimitError";
}

export class SseParser {
  #buffer = "";
  #dataChars = 0;
  #sawFirstChunk = false;
  #trailingCr = false;
  #data: string[] = [];
  #hasData = false;
  #eventType = "";
  #lastEventId: string | undefined;

  constructor(
    private readonly handlers: SseParserHandlers,
    initialLastEventId?: string,
  ) {
    this.#lastEventId = initialLastEventId;
  }

  get lastEventId(): string | undefined {
    return this.#lastEventId;
  }

  push(chunk: string): void {
    // A decoder holding back half a character yields "": it must not end a pending CR.
    if (chunk.length === 0) return;
    if (!this.#sawFirstChunk) {
      this.#sawFirstChunk = true;
      if (chunk.charCodeAt(0) === 0xfeff) chunk = chunk.slice(1);
    }
    // The LF of a CRLF whose CR ended the previous chunk: that line is already done.
    if (this.#trailingCr && chunk.startsWith("\n")) chunk = chunk.slice(1);
    this.#trailingCr = false;
    this.#buffer += chunk;

    let start = 0;
    for (;;) {
      const cr = this.#buffer.indexOf("\r", start);
      const lf = this.#buffer.indexOf("\n", start);
      if (cr === -1 && lf === -1) break;
      const end = cr === -1 ? lf : lf === -1 ? cr : Math.min(cr, lf);
      const line = this.#buffer.slice(start, end);
      if (this.#buffer[end] === "\r") {
        if (end + 1 === this.#buffer.length) {
          this.#trailingCr = true;
          start = end + 1;
        } else start = this.#buffer[end + 1] === "\n" ? end + 2 : end + 1;
      } else start = end + 1;
      this.#line(line);
    }
    this.#buffer = this.#buffer.slice(start);
    if (this.#buffer.length + this.#dataChars > MAX_PENDING_CHARS) {
      throw new SseLimitError(`an SSE event or line grew past ${MAX_PENDING_CHARS} characters; this is not a job stream`);
    }
  }

  /** The stream ended: an event not terminated by a blank line is discarded, per spec. */
  end(): void {
    this.#buffer = "";
    this.#resetEvent();
  }

  #line(line: string): void {
    if (line === "") return this.#dispatch();
    if (line.startsWith(":")) return this.handlers.onComment?.(line.slice(1).replace(/^ /, ""));
    const colon = line.indexOf(":");
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    switch (field) {
      case "event":
        this.#eventType = value;
        break;
      case "data":
        this.#data.push(value);
        this.#dataChars += value.length;
        this.#hasData = true;
        break;
      case "id":
        if (!value.includes("\0")) this.#lastEventId = value;
        break;
      case "retry":
        if (/^\d+$/.test(value)) this.handlers.onRetry?.(Number(value));
        break;
      default: // unknown fields are ignored
    }
  }

  #dispatch(): void {
    if (this.#hasData) {
      this.handlers.onEvent({ event: this.#eventType || "message", data: this.#data.join("\n"), id: this.#lastEventId });
    }
    this.#resetEvent();
  }

  #resetEvent(): void {
    this.#data = [];
    this.#dataChars = 0;
    this.#hasData = false;
    this.#eventType = "";
  }
}
