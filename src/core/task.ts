/**
 * The task model users write against, and the serialisable shapes that cross the
 * workflow/activity boundary. Types and tiny pure helpers only: workflow-safe.
 */

/** The pipeline stages, in the order they run. `precheck` is a gate run just before `run`. */
export const STAGES = ['intake', 'research', 'plan', 'run', 'verify'] as const;
export type StageName = (typeof STAGES)[number];
/** A stage or the precheck gate: every unit of work an activity performs. */
export type StepName = StageName | 'precheck';
export const STEPS: readonly StepName[] = ['intake', 'research', 'plan', 'precheck', 'run', 'verify'];

/** Kinds of task, as in the original Cascadence. They share the pipeline; the kind says how runs are triggered. */
export type TaskKind = 'task' | 'cron' | 'manual' | 'webhook' | 'pointer';

/** Extra context attached to a running task: a note and/or a URL. */
export interface ContextPayload {
  note?: string;
  url?: string;
}

/** A serialisable reference to a task to run as a subtask: `{ task: 'Child', input: ... }`. */
export interface SubtaskRef {
  task: string;
  input?: unknown;
}

/** A plan whose subtasks run concurrently; results keep plan order. */
export interface ParallelPlanSpec {
  execution: 'parallel';
  tasks: Array<SubtaskRef | string>;
}

/** Class form of a parallel plan: `return new ParallelPlan([{ task: 'a' }, { task: 'b' }])`. */
export class ParallelPlan implements ParallelPlanSpec {
  readonly execution = 'parallel' as const;
  constructor(readonly tasks: Array<SubtaskRef | string>) {}
}

/** What a stage method receives. */
export interface StageContext<Input = unknown> {
  /** Registered name of the task. */
  readonly task: string;
  /** Run id shared by every stage (and subtask) of this run. */
  readonly runId: string;
  /** HMAC-SHA-256 of the user id; the raw id never reaches a task. */
  readonly userHash: string;
  /** HMAC-SHA-256 of the group id. */
  readonly groupHash: string;
  /** The run's input. */
  readonly input: Input;
  /** Result of `research`, for `plan` and later stages. */
  readonly research?: unknown;
  /** Result of `plan`, for `run` and later stages. */
  readonly plan?: unknown;
  /** Results of the planned subtasks, in plan order, for `run` and `verify`. */
  readonly results?: unknown[];
  /** Result of `run`, for `verify`. */
  readonly runResult?: unknown;
  /** Context payloads delivered to this run so far, oldest first. */
  readonly context: readonly ContextPayload[];
  /** In a DAG: the outputs of this node's dependencies, by node id. */
  readonly upstream?: Readonly<Record<string, unknown>>;
  /** 1 on the first attempt, then 2, 3, ... on retries. */
  readonly attempt: number;
  /**
   * On a retry, the last details an earlier attempt of this stage gave {@link StageContext.heartbeat}
   * (kept by Temporal across attempts, including one whose worker died): a long stage resumes from
   * there. `undefined` on a first attempt, when no attempt gave details, for a local stage
   * (`stageMode: 'local'`), and on the in-process backends.
   */
  readonly heartbeatDetails?: unknown;
  /** Aborted when the run is cancelled; long stages should honour it. */
  readonly signal: AbortSignal;
  /**
   * Reports progress: `details` (any JSON value) is what a retry of this stage finds in
   * {@link StageContext.heartbeatDetails}, and stays so until the next call with details (the
   * runtime's own keep-alive, every second, resends the last details given). Liveness needs no
   * call: the runtime heartbeats while the stage's promise is pending, so a stage is declared
   * lost only when its worker dies or its event loop is blocked for longer than the heartbeat
   * timeout ({@link DEFAULT_HEARTBEAT_TIMEOUT} unless `options.heartbeatTimeout` says otherwise).
   */
  heartbeat(details?: unknown): void;
}

/** What `precheck` may return: `true` to go on; `false` or a reason string to stop before `run`. */
export type PrecheckResult = boolean | string | undefined | null | void;

/** Retry policy of a task's stages. Durations are milliseconds or strings such as `'2s'`. */
export interface RetryOptions {
  maximumAttempts?: number;
  initialInterval?: string | number;
  backoffCoefficient?: number;
  maximumInterval?: string | number;
  nonRetryableErrorTypes?: string[];
}

/** After `failureThreshold` consecutive failures of a stage, calls fail fast for `recoveryTime`. */
export interface CircuitBreakerOptions {
  failureThreshold: number;
  recoveryTime: string | number;
}

/**
 * How a stage runs on Temporal: `'activity'` (the default: scheduled by the server, any length,
 * heartbeats) or `'local'` (a local activity run by the worker that runs the workflow, recorded
 * as a marker; for short stages that need no heartbeat timeout). In-process backends ignore it.
 */
export type StageMode = 'activity' | 'local';

/** Per-task options. Everything is optional; defaults are documented in the README. */
export interface TaskOptions {
  retry?: RetryOptions;
  startToCloseTimeout?: string | number;
  /**
   * How long a stage run as an activity may go without a heartbeat before Temporal declares its
   * worker lost and retries it elsewhere (default {@link DEFAULT_HEARTBEAT_TIMEOUT}). Raise it for
   * a stage that blocks its worker's event loop for longer (synchronous CPU work), since the
   * keep-alive heartbeat cannot be sent meanwhile. Local stages have none.
   */
  heartbeatTimeout?: string | number;
  /** Value a stage yields when it finally fails (after retries), per stage. */
  fallback?: Partial<Record<StepName, unknown>>;
  circuitBreaker?: CircuitBreakerOptions;
  /** How every stage of this task runs on Temporal (default `'activity'`). */
  stageMode?: StageMode;
  /** Per-stage overrides of {@link TaskOptions.stageMode}: `{ run: 'activity' }` keeps a long stage an activity. */
  stageModes?: Partial<Record<StepName, StageMode>>;
}

/** A task: any object with some of the stage methods. Methods may be async. */
/** What a stage hook is told: which stage of which run (hashed ids only). */
export interface StageHookInfo {
  task: string;
  stage: StepName;
  runId: string;
  attempt: number;
  userHash: string;
  groupHash: string;
}

/**
 * Hooks around each stage (cadence-flow's): before it, after it (with its duration and error)
 * and on its error. A hook that throws is logged and never fails the stage.
 */
export interface StageHooks {
  beforeStage?(info: StageHookInfo): void | Promise<void>;
  afterStage?(info: StageHookInfo & { durationMs: number; error?: unknown }): void | Promise<void>;
  onError?(info: StageHookInfo & { error: unknown }): void | Promise<void>;
}

export interface Task<Input = unknown> {
  /** Shown by `task list --json` and in the Web UI memo. */
  description?: string;
  /** Tasks that must run first when this one runs with its dependencies (`--with-deps`, the `dag` backend). */
  dependsOn?: readonly string[];
  kind?: TaskKind;
  options?: TaskOptions;
  /** Hooks around this task's stages (after the worker's own). */
  hooks?: StageHooks | readonly StageHooks[];
  intake?(ctx: StageContext<Input>): unknown;
  research?(ctx: StageContext<Input>): unknown;
  plan?(ctx: StageContext<Input>): unknown;
  precheck?(ctx: StageContext<Input>): PrecheckResult | Promise<PrecheckResult>;
  run?(ctx: StageContext<Input>): unknown;
  verify?(ctx: StageContext<Input>): unknown;
}

/** How a step of a task is carried out: by the task's own method, by a provider, or not at all. */
export type StepSource = 'task' | 'provider';

/** Serialisable description of a registered task, read by the workflow at the start of a run. */
export interface TaskDescription {
  name: string;
  kind: TaskKind;
  description?: string;
  dependsOn?: string[];
  /** The steps this task performs and who performs them; absent steps are skipped. */
  steps: Partial<Record<StepName, StepSource>>;
  options: TaskOptions;
}

/** Serialisable input of one pipeline run (a workflow argument): ids are already hashed. */
export interface PipelineRequest {
  task: string;
  runId: string;
  userHash: string;
  groupHash: string;
  input?: unknown;
  /** 0 for a top-level run; each nesting level adds one. */
  depth?: number;
  /** Largest allowed depth of nested plans (default 10). */
  maxDepth?: number;
  /** Context payloads attached before the run started. */
  context?: ContextPayload[];
  /** In a DAG: the outputs of this node's dependencies, by node id. */
  upstream?: Record<string, unknown>;
  /** Overrides of the task's options for this run (a DAG node's retry policy and timeout). */
  options?: TaskOptions;
  /**
   * The task's description, when the client that starts the run knows it (saves the workflow
   * a round trip to the worker before the first stage; the worker's stage activities still run
   * the task's code).
   */
  description?: TaskDescription;
  /**
   * Set by a Cascadence client that checked the task's flags (disabled, paused) in the catalogue
   * just before starting this run: the run does not check them again. Runs started any other
   * way (a Schedule, a raw Temporal client) check them when they start.
   */
  flagsChecked?: boolean;
  /**
   * Workflow id of this pipeline when it is a subtask (set by its parent). Subtask ids derive
   * from it rather than from the live workflow id, so a history replays under any id.
   */
  workflowId?: string;
}

/** Default limit of plan nesting. */
export const DEFAULT_MAX_DEPTH = 10;

/**
 * Default heartbeat timeout of every Temporal activity that runs user code or may run long (stages
 * run as activities, lightweight DAG nodes, calendar fetches): how soon a run notices that the
 * worker running one of its stages died and retries it on another. Activities heartbeat every
 * second and the worker sends at most one heartbeat every 2 s (its throttle), so 10 s leaves four
 * or five heartbeats of slack for a loaded machine, a GC pause or a brief stall of the event loop,
 * while a lost worker is noticed in about 10 s instead of at the stage's start-to-close timeout.
 */
export const DEFAULT_HEARTBEAT_TIMEOUT = '10s';

/** Defaults of a stage's retry policy and timeouts when a task's options say nothing (same on every runtime). */
export const STAGE_DEFAULTS = {
  maximumAttempts: 3,
  initialIntervalMs: 1000,
  backoffCoefficient: 2,
  startToCloseTimeout: '5m',
  /** Temporal only (in-process runtimes do not heartbeat); see {@link DEFAULT_HEARTBEAT_TIMEOUT}. */
  heartbeatTimeout: DEFAULT_HEARTBEAT_TIMEOUT,
} as const;
