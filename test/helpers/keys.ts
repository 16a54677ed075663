import { KeyRing } from "../../proxy/tenancy/keys.js";

/** Tokens the suites use; each names what it may do. */
export const TOKENS = {
  all: "mfk_test_all_scopes",
  reader: "mfk_test_reader",
  site1: "mfk_test_site1_reader",
  team1: "mfk_test_team1",
  publisher: "mfk_test_publisher",
  site1Publisher: "mfk_test_site1_publisher",
  deployer: "mfk_test_deployer",
  other: "mfk_test_other_tenant",
  otherPublisher: "mfk_test_other_publisher",
} as const;

export const TEST_KEYS = {
  keys: [
    { token: TOKENS.all, account: "acct_1", scopes: ["jobs:read", "jobs:publish", "deploys:write", "builds:write"] },
    { token: TOKENS.reader, account: "acct_1", scopes: ["jobs:read"] },
    { token: TOKENS.site1, account: "acct_1", scopes: ["jobs:read"], site_id: "site_1" },
    { token: TOKENS.team1, account: "acct_1", scopes: ["jobs:read", "deploys:write", "builds:write"], team_id: "team_1" },
    { token: TOKENS.publisher, account: "acct_1", scopes: ["jobs:publish"] },
    { token: TOKENS.site1Publisher, account: "acct_1", scopes: ["jobs:publish"], site_id: "site_1" },
    { token: TOKENS.deployer, account: "acct_1", scopes: ["deploys:write"] },
    { token: TOKENS.other, account: "acct_2", scopes: ["jobs:read", "deploys:write"] },
    { token: TOKENS.otherPublisher, account: "acct_2", scopes: ["jobs:publish"] },
  ],
};

export function testKeyRing(): KeyRing {
  return KeyRing.fromJson(TEST_KEYS, "test keys");
}
