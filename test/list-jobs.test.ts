import { memoryBackend } from "./helpers/backends.js";
import { describeListJobs } from "./suites/list-jobs.js";

describeListJobs(memoryBackend);
