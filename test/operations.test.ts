import { memoryBackend } from "./helpers/backends.js";
import { describeOperations } from "./suites/operations.js";

describeOperations(memoryBackend);
