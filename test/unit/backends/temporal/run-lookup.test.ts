/**
 * The shared wait for run ids visibility has not listed yet: many waiting lookups make one query
 * per poll, found refs are answered, the rest time out (the integration suites look up real runs;
 * api.test.ts and fuzz-api.test.ts send unknown ones).
 */
import { BATCH, RunRefWaiter, runRefsQuery, type ListedWorkflow } from '../../../../src/backends/temporal/run-lookup';

/** A visibility stand-in: answers each query from `listed`, recording the queries. */
function fakeVisibility(listed: ListedWorkflow[]) {
  const queries: string[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const list = async function* (query: string): AsyncIterable<ListedWorkflow> {
    queries.push(query);
    inFlight += 1;
    maxInFlight = Math.max(maxInFlight, inFlight);
    try {
      await new Promise((r) => setTimeout(r, 5));
      for (const wf of listed) {
        if (query.includes(`'${wf.workflowId}'`) || (wf.runId && query.includes(`'${wf.runId}'`))) yield wf;
      }
    } finally {
      inFlight -= 1;
    }
  };
  return { list, queries, listed, maxInFlight: () => maxInFlight };
}

describe('runRefsQuery', () => {
  it('asks for each ref as a run id or a workflow id, quoted', () => {
    expect(runRefsQuery(['a', "b'c"])).toBe("CascadenceRunId IN ('a', 'b\\'c') OR WorkflowId IN ('a', 'b\\'c')");
  });
});

describe('RunRefWaiter', () => {
  it('answers a crowd of waiting lookups with one query per poll, one poll at a time', async () => {
    const vis = fakeVisibility([]);
    const waiter = new RunRefWaiter(vis.list, 10);
    const deadline = Date.now() + 60;
    const refs = Array.from({ length: 120 }, (_, i) => `unknown-${i}`);
    const answers = await Promise.all(refs.map((ref) => waiter.wait(ref, deadline)));
    expect(answers.every((a) => a === undefined)).toBe(true);
    // 120 refs ask in batches of 50: three queries per poll, never two at once.
    expect(vis.queries.length % Math.ceil(refs.length / BATCH)).toBe(0);
    expect(vis.queries.length).toBeLessThanOrEqual(3 * Math.ceil(60 / 10) + 3);
    expect(vis.maxInFlight()).toBe(1);
    expect(waiter.size).toBe(0);
  });

  it('answers a run once it is listed: by its top-level workflow, not a subtask', async () => {
    const vis = fakeVisibility([]);
    const waiter = new RunRefWaiter(vis.list, 10);
    const found = waiter.wait('run-1', Date.now() + 5000);
    const byWorkflowId = waiter.wait('example-run-2', Date.now() + 5000);
    await new Promise((r) => setTimeout(r, 30));
    vis.listed.push({ workflowId: 'example-run-1/0-child', runId: 'run-1' });
    await new Promise((r) => setTimeout(r, 30));
    expect(waiter.size).toBe(2);
    vis.listed.push({ workflowId: 'example-run-1', runId: 'run-1' }, { workflowId: 'example-run-2' });
    await expect(found).resolves.toBe('example-run-1');
    await expect(byWorkflowId).resolves.toBe('example-run-2');
    expect(waiter.size).toBe(0);
  });

  it('shares one ref between its waiters, each with its own deadline', async () => {
    const vis = fakeVisibility([]);
    const waiter = new RunRefWaiter(vis.list, 10);
    const soon = waiter.wait('run-1', Date.now() + 20);
    const later = waiter.wait('run-1', Date.now() + 5000);
    await expect(soon).resolves.toBeUndefined();
    vis.listed.push({ workflowId: 'example-run-1', runId: 'run-1' });
    await expect(later).resolves.toBe('example-run-1');
    expect(vis.queries.every((q) => q === runRefsQuery(['run-1']))).toBe(true);
  });

  it('hands a failing query to every waiter it asked for, and goes on for later ones', async () => {
    let fail = true;
    const waiter = new RunRefWaiter(async function* (query) {
      if (fail) throw new Error('visibility is down');
      if (query.includes("'run-2'")) yield { workflowId: 'example-run-2', runId: 'run-2' };
    }, 10);
    await expect(waiter.wait('run-1', Date.now() + 5000)).rejects.toThrow('visibility is down');
    fail = false;
    await expect(waiter.wait('run-2', Date.now() + 5000)).resolves.toBe('example-run-2');
  });
});
