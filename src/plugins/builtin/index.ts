/**
 * Built-in tasks, registered in every registry made by {@link createDefaultRegistry}.
 */
import { TaskRegistry, type Providers } from '../registry';
import { ExampleTask } from './example';
import { CalComWebhookTask, GitHubWebhookTask } from './webhooks';

export { ExampleTask };
export { D0tTinoTask, type D0tTinoOptions, type D0tTinoInput } from './d0ttino';
export { CalComWebhookTask, GitHubWebhookTask, type CalComBookingRecord, type GitHubIssuesRecord } from './webhooks';

/** Registers the built-in tasks: `example`, and the webhook tasks `github-webhook` and `calcom-webhook`. */
export function registerBuiltinTasks(registry: TaskRegistry): TaskRegistry {
  const builtin = { origin: { kind: 'builtin' as const } };
  return registry
    .register('example', ExampleTask, builtin)
    .register('github-webhook', GitHubWebhookTask, builtin)
    .register('calcom-webhook', CalComWebhookTask, builtin);
}

/** A registry holding the built-in tasks. */
export function createDefaultRegistry(providers?: Providers): TaskRegistry {
  return registerBuiltinTasks(new TaskRegistry(providers));
}
