import type { Command } from "commander";
import { ENV } from "../../../api/env.js";
import { postgresStoreUrl, ServeOptionsError } from "../../../proxy/serve-options.js";
import { EXIT } from "../exit-codes.js";

interface MigrateFlags {
  store?: string;
}

/**
 * `jobgate store migrate`: what `jobgate serve --store postgres://…` does at start, alone —
 * for a deploy step that migrates before the replicas roll. `pg` and the store load only
 * when it runs (the waiter commands never load them).
 */
export function registerStore(program: Command): void {
  const store = program
    .command("store")
    .summary("manage the PostgreSQL store that replicas of jobgate serve share")
    .description("Manage the PostgreSQL store (spec §8) shared by the replicas of `jobgate serve --store postgres://…`.");
  store
    .command("migrate")
    .summary("create or migrate the store's schema, then exit")
    .description(
      "Create the store's schema (the database's `jobgate` schema) or apply the migrations it lacks, then exit: " +
        "what `jobgate serve --store postgres://…` does at start, alone. Versioned and idempotent: a second run applies " +
        "nothing. Safe to run from several places at once: they queue on an advisory lock.\n\n" +
        "The user needs CREATE on the database (its owner has it). Exit codes: 0 done, 2 usage, " +
        "6 the database cannot be reached, 1 any other failure.",
    )
    .option("--store <url>", `postgres://user:password@host:5432/db; default $${ENV.storeUrl} (better: a password in argv shows in process lists)`)
    .addHelpText("after", `\nExamples:\n  $ ${ENV.storeUrl}=postgres://jobgate:secret@db.internal:5432/jobgate jobgate store migrate\n`)
    .action(async (flags: MigrateFlags) => {
      const text = flags.store ?? process.env[ENV.storeUrl]?.trim();
      let url: string;
      try {
        if (text === undefined || text === "" || text === "memory") {
          throw new ServeOptionsError(
            `--store (or ${ENV.storeUrl}) must be a URL such as postgres://user:password@host:5432/jobgate (the memory store has no schema)`,
          );
        }
        url = postgresStoreUrl(text);
      } catch (error) {
        process.stderr.write(`jobgate store migrate: ${(error as Error).message}\n`);
        process.exit(EXIT.usage);
      }
      const [{ migrateUrl, SCHEMA_VERSION }, { describeStoreUrl }, { StoreUnavailableError }] = await Promise.all([
        import("../../../proxy/store/postgres/migrations.js"),
        import("../../../proxy/store/postgres/connection.js"),
        import("../../../proxy/store/types.js"),
      ]);
      const where = describeStoreUrl(url);
      try {
        const report = await migrateUrl(url);
        const applied = report.applied.map((migration) => `${migration.version} (${migration.name})`).join(", ");
        process.stdout.write(
          report.applied.length > 0
            ? `jobgate store migrate: ${where}: migrated from version ${report.from} to ${report.to}: applied ${applied}\n`
            : `jobgate store migrate: ${where}: already at version ${report.to}; nothing to do\n`,
        );
        if (report.to > SCHEMA_VERSION) {
          process.stderr.write(
            `jobgate store migrate: the schema (version ${report.to}) is newer than this jobgate knows (${SCHEMA_VERSION}); upgrade jobgate\n`,
          );
        }
        process.exit(0);
      } catch (error) {
        if (error instanceof StoreUnavailableError) {
          process.stderr.write(`jobgate store migrate: cannot reach ${where}: ${error.message}\n`);
          process.exit(EXIT.unreachable);
        }
        process.stderr.write(`jobgate store migrate: ${where}: ${(error as Error).message}\n`);
        process.exit(EXIT.failed);
      }
    });
}
