/**
 * Typed search attribute keys of Cascadence workflows. Workflow-safe.
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { SEARCH_ATTRIBUTE_GROUP, SEARCH_ATTRIBUTE_RUN_ID, SEARCH_ATTRIBUTE_TASK } from '../core/ids';

/** The task's registered name. */
export const TASK_KEY = defineSearchAttributeKey(SEARCH_ATTRIBUTE_TASK, SearchAttributeType.KEYWORD);
/** The hashed group id. */
export const GROUP_KEY = defineSearchAttributeKey(SEARCH_ATTRIBUTE_GROUP, SearchAttributeType.KEYWORD);
/** The run id (shared by a run and its subtasks). */
export const RUN_ID_KEY = defineSearchAttributeKey(SEARCH_ATTRIBUTE_RUN_ID, SearchAttributeType.KEYWORD);

/** The search attributes of a pipeline run. */
export function pipelineSearchAttributes(task: string, groupHash: string, runId: string) {
  return [
    { key: TASK_KEY, value: task },
    { key: GROUP_KEY, value: groupHash },
    { key: RUN_ID_KEY, value: runId },
  ];
}
