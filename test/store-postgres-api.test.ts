/**
 * The API suites that lean on the store — long-poll, SSE, list, the producer side, demo
 * operations (test/suites/) — against servers on PostgreSQL (`--store postgres://…`), each
 * over its own database of a cluster this file starts. The same test code as on memory.
 */
import { postgresBackend } from "./helpers/backends.js";
import { describeWithPostgres, usePostgresCluster } from "./helpers/postgres.js";
import { describeListJobs } from "./suites/list-jobs.js";
import { describeLongPoll } from "./suites/long-poll.js";
import { describeOperations } from "./suites/operations.js";
import { describePublish } from "./suites/publish.js";
import { describeSse } from "./suites/sse.js";

const cluster = usePostgresCluster();

describeWithPostgres("the API on PostgreSQL", () => {
  const backend = postgresBackend(cluster);
  describeLongPoll(backend);
  describeSse(backend);
  describeListJobs(backend);
  describePublish(backend);
  describeOperations(backend);
});
