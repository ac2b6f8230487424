/**
 * Built-in tasks, registered in every registry made by {@link createDefaultRegistry}.
 */
import { TaskRegistry, type Providers } from '../registry';
import { ExampleTask } from './example';

export { ExampleTask };

/** Registers the built-in tasks. */
export function registerBuiltinTasks(registry: TaskRegistry): TaskRegistry {
  return registry.register('example', ExampleTask);
}

/** A registry holding the built-in tasks. */
export function createDefaultRegistry(providers?: Providers): TaskRegistry {
  return registerBuiltinTasks(new TaskRegistry(providers));
}
