/** The pipeline conformance suite on Temporal (the suite's real dev server, an in-process worker). */
import { temporalRuntime } from '../../conformance/runtimes';
import { pipelineConformance } from '../../conformance/pipeline-suite';

pipelineConformance(temporalRuntime);
