import { memoryBackend } from "./helpers/backends.js";
import { describeSse } from "./suites/sse.js";

describeSse(memoryBackend);
