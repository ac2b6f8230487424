/**
 * Building DAGs in TypeScript: `dag('etl').task('extract', 'extract').task('load', 'load',
 * { dependsOn: ['extract'] }).build()` gives the same canonical definition a `dags/*.yml` file
 * compiles to.
 */
import { validateDag, type DagDefinition, type DagNode, type FailurePolicy } from '../core';

/** Settings of one node, everything but its id and task. */
export type NodeOptions = Omit<DagNode, 'id' | 'task'>;

/** A DAG under construction. */
export class DagBuilder {
  private readonly nodes: DagNode[] = [];
  private settings: Pick<DagDefinition, 'description' | 'maxConcurrency' | 'failurePolicy'> = {};

  constructor(private readonly name: string) {}

  /** Adds node `id` running registered task `task` (a name, or any object with a `name`). */
  task(id: string, task: string | { name: string }, options: NodeOptions = {}): this {
    this.nodes.push({ id, task: typeof task === 'string' ? task : task.name, ...options });
    return this;
  }

  describe(description: string): this {
    this.settings = { ...this.settings, description };
    return this;
  }

  maxConcurrency(n: number): this {
    this.settings = { ...this.settings, maxConcurrency: n };
    return this;
  }

  failurePolicy(policy: FailurePolicy): this {
    this.settings = { ...this.settings, failurePolicy: policy };
    return this;
  }

  /**
   * The canonical definition, validated (cycles, unknown dependencies, bad conditions).
   * @throws CascadenceError VALIDATION.
   */
  build(): DagDefinition {
    const def: DagDefinition = { name: this.name, ...this.settings, nodes: this.nodes.map((n) => ({ ...n })) };
    validateDag(def);
    return def;
  }
}

/** Starts a DAG definition. */
export function dag(name: string): DagBuilder {
  return new DagBuilder(name);
}
