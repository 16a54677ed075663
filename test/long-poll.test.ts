import { memoryBackend } from "./helpers/backends.js";
import { describeLongPoll } from "./suites/long-poll.js";

describeLongPoll(memoryBackend);
