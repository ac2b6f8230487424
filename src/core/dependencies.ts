/**
 * Task prerequisites (`dependsOn`): the order to run a task's prerequisites in, each once,
 * with cycles reported before anything runs. Workflow-safe.
 */
import { CascadenceError } from './errors';

/**
 * `task`'s prerequisites in an order that runs each after its own prerequisites, each once,
 * ending with `task` itself.
 * @throws CascadenceError VALIDATION naming the cycle (`cycle: a -> b -> a`) or an unknown prerequisite.
 */
export function prerequisiteOrder(task: string, dependsOn: (name: string) => readonly string[] | undefined): string[] {
  const order: string[] = [];
  const done = new Set<string>();
  const path: string[] = [];
  const visit = (name: string): void => {
    if (done.has(name)) return;
    const at = path.indexOf(name);
    if (at >= 0) {
      throw new CascadenceError('VALIDATION', `cycle: ${[...path.slice(at), name].join(' -> ')}`, {
        hint: 'remove one of these dependsOn links',
      });
    }
    const deps = dependsOn(name);
    if (deps === undefined) {
      throw new CascadenceError('VALIDATION', `${path.at(-1) ?? name} depends on unknown task ${JSON.stringify(name)}`);
    }
    path.push(name);
    for (const dep of deps) visit(dep);
    path.pop();
    done.add(name);
    order.push(name);
  };
  visit(task);
  return order;
}
