/** The pipeline conformance suite on the in-process `base` runtime. */
import { baseRuntime } from '../../conformance/runtimes';
import { pipelineConformance } from '../../conformance/pipeline-suite';

pipelineConformance(baseRuntime);
