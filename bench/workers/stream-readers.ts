/**
 * N raw SSE readers on one job (forked, IPC): "stalled" ones read nothing after the
 * headers (the kernel's buffers fill, then the server's), "keeping up" ones read and
 * discard everything. Reports {type:"ready"} once every stream has its headers; exits on
 * {type:"close"}.
 * Config (argv[2], JSON): { port, jobId, token, n, stalled }.
 */
import { connect, type Socket } from "node:net";

const config = JSON.parse(process.argv[2]!) as { port: number; jobId: string; token: string; n: number; stalled: boolean };
const send = (message: unknown): void => void process.send!(message);
const sockets: Socket[] = [];
let ready = 0;

for (let i = 0; i < config.n; i++) {
  const socket = connect(config.port, "127.0.0.1");
  sockets.push(socket);
  let headed = false;
  socket.on("connect", () => {
    socket.write(`GET /v1/jobs/${config.jobId}/stream HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${config.token}\r\n\r\n`);
  });
  socket.on("data", () => {
    if (!headed) {
      headed = true;
      if (++ready === config.n) send({ type: "ready" });
      if (config.stalled) socket.pause();
    }
  });
  socket.on("error", () => undefined);
  if (i % 200 === 199) await new Promise((resolve) => setTimeout(resolve, 20)); // do not flood the accept queue
}

process.on("message", (message: { type: string }) => {
  if (message.type === "close") {
    for (const socket of sockets) socket.destroy();
    process.exit(0);
  }
});
