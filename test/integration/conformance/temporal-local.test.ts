/**
 * The pipeline conformance suite on Temporal with every stage a local activity and runs started
 * eagerly on the in-process worker: the same behaviour as regular stages, down to the audit trail.
 */
import { temporalRuntime } from '../../conformance/runtimes';
import { pipelineConformance } from '../../conformance/pipeline-suite';

pipelineConformance(() => temporalRuntime({ localStages: true, eagerStart: true }));
