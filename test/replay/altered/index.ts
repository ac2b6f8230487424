/**
 * A deliberately incompatible change to the pipeline workflow (it now waits on a timer before
 * its first stage), used to prove that replay catches non-determinism.
 */
import { sleep } from '@temporalio/workflow';
import type { PipelineRequest } from '../../../src/core';
import { pipelineWorkflow as current } from '../../../src/workflows/pipeline';

export async function pipelineWorkflow(request: PipelineRequest): Promise<unknown> {
  await sleep('1s');
  return current(request);
}
