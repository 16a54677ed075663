/**
 * The PostgreSQL store (spec §8) on a real server started by this file: the shared
 * contract suite — one store, and two over one database as two replicas would be — then
 * what only a networked store has to get right.
 */
import { openPostgresStore, type PostgresJobStore, type PostgresStoreOptions } from "../proxy/store/postgres/store.js";
import { describeWithPostgres, startPostgres, type PostgresCluster } from "./helpers/postgres.js";
import { describeJobStoreContract } from "./store-contract.js";

let cluster: PostgresCluster;
beforeAll(async () => {
  cluster = await startPostgres();
}, 60_000);
afterAll(() => cluster?.destroy());

async function open(url: string, options: Partial<PostgresStoreOptions> = {}): Promise<PostgresJobStore> {
  return openPostgresStore({ url, poolSize: 4, ...options });
}

describeWithPostgres("PostgreSQL store", () => {
  describeJobStoreContract("postgres", {
    create: async () => open(await cluster.createDatabase()),
    createPair: async () => {
      const url = await cluster.createDatabase();
      return [await open(url), await open(url)];
    },
  });
});
