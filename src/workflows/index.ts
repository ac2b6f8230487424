/**
 * Workflows: the single `workflowsPath` of the worker.
 *
 * Import rule: workflow-safe only. Files here import `@temporalio/workflow`, `@temporalio/common`,
 * pure helpers from `../core`, and activities as types (`import type`). A lint rule forbids
 * Node built-ins and I/O packages, and a test bundles this folder so a forbidden import fails fast.
 */
export { pipelineWorkflow } from './pipeline';
export { dagWorkflow } from './dag';
export { calendarScheduleWorkflow } from './calendar';
export { catalogueWorkflow } from './catalogue';
export { calendarEventWorkflow } from './calendar-event';
export { financeDecisionWorkflow } from './finance-decision';
