/** A raw SSE reader for server tests: what a client sees on the wire, unparsed by our client. */
export interface RawStream {
  readonly status: number;
  readonly headers: Headers;
  /** Everything received so far. */
  text(): string;
  /** Resolves once the received text satisfies `predicate` (or rejects after `timeoutMs`). */
  until(predicate: (text: string) => boolean, timeoutMs?: number): Promise<string>;
  /** Resolves when the server ends the stream. */
  ended: Promise<void>;
  close(): void;
}

export async function openStream(url: string, token: string, headers: Record<string, string> = {}): Promise<RawStream> {
  const controller = new AbortController();
  const res = await fetch(url, { headers: { authorization: `Bearer ${token}`, ...headers }, signal: controller.signal });
  let received = "";
  let notify: () => void = () => {};
  const decoder = new TextDecoder();
  const ended = (async () => {
    if (res.body === null) return;
    try {
      for await (const chunk of res.body) {
        received += decoder.decode(chunk as Uint8Array, { stream: true });
        notify();
      }
    } catch {
      // aborted by close()
    }
    notify();
  })();
  return {
    status: res.status,
    headers: res.headers,
    text: () => received,
    ended,
    close: () => controller.abort(),
    until(predicate, timeoutMs = 5000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`stream did not satisfy the condition in ${timeoutMs} ms; got:\n${received}`)), timeoutMs);
        const check = () => {
          if (predicate(received)) {
            clearTimeout(timer);
            notify = () => {};
            resolve(received);
          }
        };
        notify = check;
        check();
        void ended.then(check);
      });
    },
  };
}

/** The `event: job` events in `text`, parsed. */
export function jobEvents(text: string): { id: string; data: any }[] {
  return text
    .split("\n\n")
    .filter((block) => block.startsWith("event: job\n"))
    .map((block) => {
      const [, idLine, dataLine] = block.split("\n");
      return { id: idLine!.slice("id: ".length), data: JSON.parse(dataLine!.slice("data: ".length)) };
    });
}
