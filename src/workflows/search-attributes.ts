/**
 * Typed search attribute keys of Cascadence workflows. Workflow-safe.
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { SEARCH_ATTRIBUTE_GROUP, SEARCH_ATTRIBUTE_TASK } from '../core/ids';

/** The task's registered name. */
export const TASK_KEY = defineSearchAttributeKey(SEARCH_ATTRIBUTE_TASK, SearchAttributeType.KEYWORD);
/** The hashed group id. */
export const GROUP_KEY = defineSearchAttributeKey(SEARCH_ATTRIBUTE_GROUP, SearchAttributeType.KEYWORD);
