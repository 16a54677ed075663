/**
 * CDKTF constructs that block `terraform apply` on jobs (spec §10), by running the
 * jobgate CLI from a local-exec provisioner or as the jobgate provider's resources
 * (`runner: "provider"`), and the provider's hand-written bindings.
 * `import { JobWait, AsyncOperation } from "jobgate"`.
 */
export { JobWait, normalizeJobWaitProps, type JobWaitProps, type NormalizedJobWaitProps } from "./job-wait.js";
export {
  AsyncOperation,
  normalizeAsyncOperationProps,
  OPERATION_METHODS,
  type AsyncOperationDestroy,
  type AsyncOperationProps,
  type NormalizedAsyncOperationProps,
  type OperationCall,
  type OperationMethod,
} from "./async-operation.js";
export { DEFAULT_RUNNER, DEFAULT_TIMEOUT, RUNNERS, type OnFailure, type Runner, type RunnerProps } from "./runner-props.js";
export { CLI_ENV, DEFAULT_CLI_COMMAND } from "./cli-command.js";
export { ConstructPropsError, isConstructPropsError } from "./prop-checks.js";
export { JobgateProvider, JOBGATE_PROVIDER_SOURCE, type JobgateProviderConfig } from "./provider-jobgate.js";
export { JobgateOperation, type JobgateOperationConfig } from "./provider-operation.js";
export { JobgateJobWait, type JobgateJobWaitConfig } from "./provider-job-wait.js";
export { DataJobgateJob, type DataJobgateJobConfig } from "./provider-data-job.js";
export { JobOutcome, type JobgateTimeouts } from "./provider-outcome.js";
