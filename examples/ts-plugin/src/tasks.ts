/**
 * The tasks of this plugin package, declared in its package.json (`cascadence.tasks`), so any
 * project that installs it gets them in `task list`, on its workers and in its API. Types come
 * from Cascadence (`import type`: nothing of it is loaded at run time, so the plugin works with
 * whichever Cascadence the project runs); a task is any object with stage methods and a `kind`.
 */
import type { StageContext, Task } from 'cascadence';

interface Greeting {
  name?: string;
}

/** A `ManualTrigger` task: run by hand (`task trigger demo_manual`, `task run`, the API). */
export const demoManual: Task<Greeting> = {
  kind: 'manual',
  description: 'Greets whoever starts it (a manual task from the ts-plugin example)',
  run: (ctx: StageContext<Greeting>) => `hello, ${ctx.input?.name?.trim() || 'world'}`,
};

/** A `PointerTask`: pointers to runs of other instances are added with `task pointer-add family_pointer`. */
export const familyPointer: Task = {
  kind: 'pointer',
  description: "Points at the family's runs on other Cascadence instances",
  run: (ctx: StageContext) => ({
    task: ctx.task,
    note: 'pointers live in the pointer store: task pointer-list family_pointer',
  }),
};
