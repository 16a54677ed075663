import { memoryBackend } from "./helpers/backends.js";
import { describePublish } from "./suites/publish.js";

describePublish(memoryBackend);
