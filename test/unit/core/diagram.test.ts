import type { DagDefinition, NodeState } from '../../../src/core/dag/types';
import { dagToDot, dagToMermaid, pipelineToDot, pipelineToMermaid } from '../../../src/core/diagram';
import type { TaskDescription } from '../../../src/core/task';

/** Joins lines into diagram text the way the renderers end it: one trailing newline. */
function text(...lines: string[]): string {
  return `${lines.join('\n')}\n`;
}

/** extract fans out to clean and (conditionally, lightweight) enrich, which both feed load. */
const diamond: DagDefinition = {
  name: 'etl',
  nodes: [
    { id: 'extract', task: 'Extract' },
    { id: 'clean', task: 'Clean', dependsOn: ['extract'] },
    { id: 'enrich', task: 'Enrich', dependsOn: ['extract'], condition: 'extract.rows > 0', lightweight: true },
    { id: 'load', task: 'Load', dependsOn: ['clean', 'enrich'] },
  ],
};

const diamondStates: Record<string, NodeState> = {
  extract: 'success',
  clean: 'running',
  enrich: 'skipped',
  load: 'pending',
};

const MERMAID_CLASS_DEFS = [
  '  classDef pending fill:#ffffff,stroke:#9e9e9e,color:#424242',
  '  classDef running fill:#bbdefb,stroke:#1565c0,color:#0d47a1',
  '  classDef success fill:#c8e6c9,stroke:#2e7d32,color:#1b5e20',
  '  classDef failed fill:#ffcdd2,stroke:#c62828,color:#b71c1c',
  '  classDef skipped fill:#e0e0e0,stroke:#757575,color:#616161,stroke-dasharray:5 5',
  '  classDef cancelled fill:#ffe0b2,stroke:#ef6c00,color:#e65100',
];

/** A DAG whose ids, tasks and conditions try every way out of a quoted label. */
const hostile: DagDefinition = {
  name: 'evil "dag"\\\n',
  nodes: [
    { id: 'a"b', task: 'T["x"]' },
    { id: 'end', task: 'End --> x' },
    { id: 'n0', task: 'plain', dependsOn: ['a"b'] },
    { id: 'x-y', task: 'Ünïcødé 🚀 日本', dependsOn: ['end', 'n0'], condition: 'a["k"] --> "v" && b < 2' },
    { id: 'multi\nline', task: 'one\r\ntwo\tthree', dependsOn: ['x-y'], condition: '%%{init: {}}%% #quot; `md` $$x$$' },
  ],
};

function describeTask(steps: TaskDescription['steps'], name = 'report'): TaskDescription {
  return { name, kind: 'task', steps, options: {} };
}

const allSteps = describeTask({
  intake: 'task',
  research: 'provider',
  plan: 'task',
  precheck: 'task',
  run: 'task',
  verify: 'task',
});

describe('dagToMermaid', () => {
  it('draws a diamond DAG: a node per DAG node, an edge per dependency, the condition on the edge', () => {
    expect(dagToMermaid(diamond)).toBe(
      text(
        'flowchart LR',
        '  extract["extract<br/>Extract"]',
        '  clean["clean<br/>Clean"]',
        '  enrich(["enrich<br/>Enrich"])',
        '  load["load<br/>Load"]',
        '  extract --> clean',
        '  extract -- "extract.rows #gt; 0" --> enrich',
        '  clean --> load',
        '  enrich --> load',
      ),
    );
  });

  it('adds a class per state, and a class per node that has a state', () => {
    expect(dagToMermaid(diamond, diamondStates)).toBe(
      text(
        'flowchart LR',
        '  extract["extract<br/>Extract"]',
        '  clean["clean<br/>Clean"]',
        '  enrich(["enrich<br/>Enrich"])',
        '  load["load<br/>Load"]',
        '  extract --> clean',
        '  extract -- "extract.rows #gt; 0" --> enrich',
        '  clean --> load',
        '  enrich --> load',
        ...MERMAID_CLASS_DEFS,
        '  class extract success',
        '  class clean running',
        '  class enrich skipped',
        '  class load pending',
      ),
    );
  });

  it('declares the state classes even when no node has a state yet', () => {
    const out = dagToMermaid(diamond, {});
    expect(out).toContain(MERMAID_CLASS_DEFS.join('\n'));
    expect(out).not.toMatch(/^ {2}class /m);
  });

  it('ignores states of unknown nodes, unknown state names and inherited keys', () => {
    const def: DagDefinition = {
      name: 'd',
      nodes: [
        { id: 'constructor', task: 'T' },
        { id: 'toString', task: 'T' },
        { id: 'a', task: 'T' },
      ],
    };
    const states = { a: 'bogus\nclass a failed', ghost: 'failed' } as unknown as Record<string, NodeState>;
    const classLines = dagToMermaid(def, states)
      .split('\n')
      .filter((l) => l.startsWith('  class '));
    expect(classLines).toEqual([]);
    const own: Record<string, NodeState> = {};
    own['constructor'] = 'running';
    expect(dagToMermaid(def, own)).toContain('  class constructor running\n');
  });

  it('escapes hostile ids, tasks and conditions and maps unusable ids to safe ones', () => {
    expect(dagToMermaid(hostile, { 'a"b': 'failed', 'multi\nline': 'cancelled' })).toBe(
      text(
        'flowchart LR',
        // `a"b` is at position 0, but `n0` is a real id, so the generated id moves aside.
        '  n0_1["a#quot;b<br/>T#91;#quot;x#quot;#93;"]',
        '  n1["end<br/>End --#gt; x"]',
        '  n0["n0<br/>plain"]',
        '  n3["x-y<br/>Ünïcødé 🚀 日本"]',
        '  n4["multi<br/>line<br/>one<br/>two three"]',
        '  n0_1 --> n0',
        '  n1 -- "a#91;#quot;k#quot;#93; --#gt; #quot;v#quot; #amp;#amp; b #lt; 2" --> n3',
        '  n0 -- "a#91;#quot;k#quot;#93; --#gt; #quot;v#quot; #amp;#amp; b #lt; 2" --> n3',
        '  n3 -- "#37;#37;#123;init#58; #123;#125;#125;#37;#37; #35;quot#59; #96;md#96; #36;#36;x#36;#36;" --> n4',
        ...MERMAID_CLASS_DEFS,
        '  class n0_1 failed',
        '  class n4 cancelled',
      ),
    );
  });

  it('maps Mermaid keywords and one-letter link tokens to generated ids', () => {
    const def: DagDefinition = {
      name: 'k',
      nodes: ['class', 'style', 'subgraph', 'o', 'x', 'v', 'End', 'ok_1'].map((id) => ({ id, task: 't' })),
    };
    const ids = dagToMermaid(def)
      .split('\n')
      .slice(1, -1)
      .map((l) => l.trim().split('[')[0]);
    expect(ids).toEqual(['n0', 'n1', 'n2', 'n3', 'n4', 'n5', 'n6', 'ok_1']);
  });

  it('keeps text that would forge a Mermaid entity marker from being decoded', () => {
    const def: DagDefinition = { name: 'm', nodes: [{ id: 'a', task: 'ﬂ°°60¶ß' }] };
    expect(dagToMermaid(def)).toContain('a["a<br/>ﬂ#8288;°°60¶#8288;ß"]');
  });

  it('replaces control characters, which no renderer can show, and breaks lines at Unicode separators', () => {
    const def: DagDefinition = { name: 'c', nodes: [{ id: 'a', task: 'x\u0000y\u2028z\u0085' }] };
    expect(dagToMermaid(def)).toContain('a["a<br/>x\ufffdy<br/>z\ufffd"]');
  });

  it('shows the condition of a node without dependencies in its label', () => {
    const def: DagDefinition = { name: 'r', nodes: [{ id: 'a', task: 'A', condition: 'input.go' }] };
    expect(dagToMermaid(def)).toBe(text('flowchart LR', '  a["a<br/>A<br/>when input.go"]'));
  });

  it('draws a dependency the DAG does not define as a dashed node', () => {
    const def: DagDefinition = { name: 'u', nodes: [{ id: 'a', task: 'A', dependsOn: ['ghost node'] }] };
    expect(dagToMermaid(def)).toBe(
      text('flowchart LR', '  a["a<br/>A"]', '  n1["ghost node"]', '  n1 --> a', '  style n1 stroke-dasharray:5 5'),
    );
  });

  it('follows definition order and gives the same text for the same input', () => {
    const reversed: DagDefinition = { ...diamond, nodes: [...diamond.nodes].reverse() };
    const nodeLines = dagToMermaid(reversed)
      .split('\n')
      .filter((l) => l.includes('["'));
    expect(nodeLines.map((l) => l.trim().split(/[[(]/)[0])).toEqual(['load', 'enrich', 'clean', 'extract']);
    expect(dagToMermaid(diamond, diamondStates)).toBe(dagToMermaid(diamond, { ...diamondStates }));
  });
});

describe('dagToDot', () => {
  it('draws a diamond DAG with boxes, an oval for the lightweight node and the condition as an edge label', () => {
    expect(dagToDot(diamond)).toBe(
      text(
        'digraph "etl" {',
        '  rankdir=LR;',
        '  "extract" [label="extract\\nExtract", shape=box];',
        '  "clean" [label="clean\\nClean", shape=box];',
        '  "enrich" [label="enrich\\nEnrich", shape=oval];',
        '  "load" [label="load\\nLoad", shape=box];',
        '  "extract" -> "clean";',
        '  "extract" -> "enrich" [label="extract.rows > 0"];',
        '  "clean" -> "load";',
        '  "enrich" -> "load";',
        '}',
      ),
    );
  });

  it('fills nodes with their state colour (skipped also dashed)', () => {
    expect(dagToDot(diamond, diamondStates)).toBe(
      text(
        'digraph "etl" {',
        '  rankdir=LR;',
        '  "extract" [label="extract\\nExtract", shape=box, style=filled, fillcolor="#c8e6c9", color="#2e7d32", fontcolor="#1b5e20"];',
        '  "clean" [label="clean\\nClean", shape=box, style=filled, fillcolor="#bbdefb", color="#1565c0", fontcolor="#0d47a1"];',
        '  "enrich" [label="enrich\\nEnrich", shape=oval, style="filled,dashed", fillcolor="#e0e0e0", color="#757575", fontcolor="#616161"];',
        '  "load" [label="load\\nLoad", shape=box, style=filled, fillcolor="#ffffff", color="#9e9e9e", fontcolor="#424242"];',
        '  "extract" -> "clean";',
        '  "extract" -> "enrich" [label="extract.rows > 0"];',
        '  "clean" -> "load";',
        '  "enrich" -> "load";',
        '}',
      ),
    );
  });

  it('gives failed and cancelled nodes their own colours', () => {
    const out = dagToDot(diamond, { extract: 'failed', load: 'cancelled' });
    expect(out).toContain('"extract" [label="extract\\nExtract", shape=box, style=filled, fillcolor="#ffcdd2"');
    expect(out).toContain('"load" [label="load\\nLoad", shape=box, style=filled, fillcolor="#ffe0b2"');
    expect(out).toContain('"clean" [label="clean\\nClean", shape=box];');
  });

  it('quotes and escapes hostile ids, labels and conditions', () => {
    expect(dagToDot(hostile)).toBe(
      text(
        'digraph "evil \\"dag\\"\\\\\\n" {',
        '  rankdir=LR;',
        '  "a\\"b" [label="a\\"b\\nT[\\"x\\"]", shape=box];',
        '  "end" [label="end\\nEnd --> x", shape=box];',
        '  "n0" [label="n0\\nplain", shape=box];',
        '  "x-y" [label="x-y\\nÜnïcødé 🚀 日本", shape=box];',
        '  "multi\\nline" [label="multi\\nline\\none\\ntwo three", shape=box];',
        '  "a\\"b" -> "n0";',
        '  "end" -> "x-y" [label="a[\\"k\\"] --> \\"v\\" &amp;&amp; b < 2"];',
        '  "n0" -> "x-y" [label="a[\\"k\\"] --> \\"v\\" &amp;&amp; b < 2"];',
        '  "x-y" -> "multi\\nline" [label="%%{init: {}}%% #quot; `md` $$x$$"];',
        '}',
      ),
    );
  });

  it('keeps backslashes literal, so text cannot become a DOT escape such as \\N or a line continuation', () => {
    const def: DagDefinition = { name: 'b', nodes: [{ id: 'a\\', task: '\\N\\l\\\n' }] };
    expect(dagToDot(def)).toContain('  "a\\\\" [label="a\\\\\\n\\\\N\\\\l\\\\\\n", shape=box];\n');
  });

  it('draws a dependency the DAG does not define as a dashed node', () => {
    const def: DagDefinition = { name: 'u', nodes: [{ id: 'a', task: 'A', dependsOn: ['ghost'] }] };
    expect(dagToDot(def)).toBe(
      text(
        'digraph "u" {',
        '  rankdir=LR;',
        '  "a" [label="a\\nA", shape=box];',
        '  "ghost" [label="ghost", shape=box, style=dashed];',
        '  "ghost" -> "a";',
        '}',
      ),
    );
  });
});

describe('pipelineToMermaid', () => {
  it('draws every step in run order, the precheck as a decision that can end in "skipped"', () => {
    expect(pipelineToMermaid(allSteps)).toBe(
      text(
        'flowchart LR',
        '  start(["report"])',
        '  intake["intake"]',
        '  research["research<br/>provider"]',
        '  plan["plan"]',
        '  precheck{"precheck"}',
        '  run["run"]',
        '  verify["verify"]',
        '  done(["done"])',
        '  skipped(["skipped"])',
        '  start --> intake',
        '  intake --> research',
        '  research --> plan',
        '  plan --> precheck',
        '  precheck -- "fails" --> skipped',
        '  precheck -- "passes" --> run',
        '  run --> verify',
        '  verify --> done',
      ),
    );
  });

  it('leaves out absent steps, and the decision when there is no precheck', () => {
    expect(pipelineToMermaid(describeTask({ run: 'task', verify: 'provider' }))).toBe(
      text(
        'flowchart LR',
        '  start(["report"])',
        '  run["run"]',
        '  verify["verify<br/>provider"]',
        '  done(["done"])',
        '  start --> run',
        '  run --> verify',
        '  verify --> done',
      ),
    );
    expect(pipelineToMermaid(describeTask({}))).toBe(
      text('flowchart LR', '  start(["report"])', '  done(["done"])', '  start --> done'),
    );
  });

  it('chains the subtasks of a sequence plan in a subgraph between precheck and run', () => {
    const plan = { kind: 'sequence' as const, tasks: [{ task: 'fetch' }, { task: 'parse' }, { task: 'store' }] };
    expect(pipelineToMermaid(describeTask({ plan: 'task', precheck: 'task', run: 'task' }), plan)).toBe(
      text(
        'flowchart LR',
        '  start(["report"])',
        '  plan["plan"]',
        '  precheck{"precheck"}',
        '  subgraph subtasks["subtasks (sequence)"]',
        '    sub0["fetch"]',
        '    sub1["parse"]',
        '    sub2["store"]',
        '  end',
        '  run["run"]',
        '  done(["done"])',
        '  skipped(["skipped"])',
        '  start --> plan',
        '  plan --> precheck',
        '  precheck -- "fails" --> skipped',
        '  precheck -- "passes" --> sub0',
        '  sub0 --> sub1',
        '  sub1 --> sub2',
        '  sub2 --> run',
        '  run --> done',
      ),
    );
  });

  it('fans the subtasks of a parallel plan out from plan and back in to run', () => {
    const plan = { kind: 'parallel' as const, tasks: [{ task: 'a' }, { task: 'b' }, { task: 'a' }] };
    expect(pipelineToMermaid(describeTask({ plan: 'task', run: 'task' }), plan)).toBe(
      text(
        'flowchart LR',
        '  start(["report"])',
        '  plan["plan"]',
        '  subgraph subtasks["subtasks (parallel)"]',
        '    sub0["a"]',
        '    sub1["b"]',
        '    sub2["a"]',
        '  end',
        '  run["run"]',
        '  done(["done"])',
        '  start --> plan',
        '  plan --> sub0',
        '  plan --> sub1',
        '  plan --> sub2',
        '  sub0 --> run',
        '  sub1 --> run',
        '  sub2 --> run',
        '  run --> done',
      ),
    );
  });

  it('draws no subgraph for a plain-value plan or a plan without subtasks', () => {
    const desc = describeTask({ plan: 'task', run: 'task' });
    const plain = pipelineToMermaid(desc);
    expect(pipelineToMermaid(desc, { kind: 'value', value: { rows: 3 } })).toBe(plain);
    expect(pipelineToMermaid(desc, { kind: 'parallel', tasks: [] })).toBe(plain);
    expect(plain).not.toContain('subgraph');
  });

  it('escapes the task name and subtask names', () => {
    const out = pipelineToMermaid(describeTask({ plan: 'task' }, 'say "hi"]'), {
      kind: 'sequence',
      tasks: [{ task: 'x"]\n<b>' }],
    });
    expect(out).toContain('  start(["say #quot;hi#quot;#93;"])\n');
    expect(out).toContain('    sub0["x#quot;#93;<br/>#lt;b#gt;"]\n');
  });
});

describe('pipelineToDot', () => {
  it('draws every step in run order, the precheck as a diamond that can end in "skipped"', () => {
    expect(pipelineToDot(allSteps)).toBe(
      text(
        'digraph "report" {',
        '  rankdir=LR;',
        '  "start" [label="report", shape=oval];',
        '  "intake" [label="intake", shape=box];',
        '  "research" [label="research\\nprovider", shape=box];',
        '  "plan" [label="plan", shape=box];',
        '  "precheck" [label="precheck", shape=diamond];',
        '  "run" [label="run", shape=box];',
        '  "verify" [label="verify", shape=box];',
        '  "done" [label="done", shape=oval];',
        '  "skipped" [label="skipped", shape=oval];',
        '  "start" -> "intake";',
        '  "intake" -> "research";',
        '  "research" -> "plan";',
        '  "plan" -> "precheck";',
        '  "precheck" -> "skipped" [label="fails"];',
        '  "precheck" -> "run" [label="passes"];',
        '  "run" -> "verify";',
        '  "verify" -> "done";',
        '}',
      ),
    );
  });

  it('chains a sequence plan in a dashed cluster', () => {
    const plan = { kind: 'sequence' as const, tasks: [{ task: 'fetch' }, { task: 'store' }] };
    expect(pipelineToDot(describeTask({ plan: 'task', run: 'task' }), plan)).toBe(
      text(
        'digraph "report" {',
        '  rankdir=LR;',
        '  "start" [label="report", shape=oval];',
        '  "plan" [label="plan", shape=box];',
        '  subgraph "cluster_subtasks" {',
        '    label="subtasks (sequence)";',
        '    style=dashed;',
        '    "sub0" [label="fetch", shape=box];',
        '    "sub1" [label="store", shape=box];',
        '  }',
        '  "run" [label="run", shape=box];',
        '  "done" [label="done", shape=oval];',
        '  "start" -> "plan";',
        '  "plan" -> "sub0";',
        '  "sub0" -> "sub1";',
        '  "sub1" -> "run";',
        '  "run" -> "done";',
        '}',
      ),
    );
  });

  it('fans a parallel plan out from the precheck and in to the end when there is no run step', () => {
    const plan = { kind: 'parallel' as const, tasks: [{ task: 'a' }, { task: 'b' }] };
    expect(pipelineToDot(describeTask({ plan: 'task', precheck: 'task' }, 'fan "out"'), plan)).toBe(
      text(
        'digraph "fan \\"out\\"" {',
        '  rankdir=LR;',
        '  "start" [label="fan \\"out\\"", shape=oval];',
        '  "plan" [label="plan", shape=box];',
        '  "precheck" [label="precheck", shape=diamond];',
        '  subgraph "cluster_subtasks" {',
        '    label="subtasks (parallel)";',
        '    style=dashed;',
        '    "sub0" [label="a", shape=box];',
        '    "sub1" [label="b", shape=box];',
        '  }',
        '  "done" [label="done", shape=oval];',
        '  "skipped" [label="skipped", shape=oval];',
        '  "start" -> "plan";',
        '  "plan" -> "precheck";',
        '  "precheck" -> "skipped" [label="fails"];',
        '  "precheck" -> "sub0" [label="passes"];',
        '  "precheck" -> "sub1" [label="passes"];',
        '  "sub0" -> "done";',
        '  "sub1" -> "done";',
        '}',
      ),
    );
  });

  it('leaves out the decision when there is no precheck', () => {
    const out = pipelineToDot(describeTask({ intake: 'task', run: 'task' }));
    expect(out).not.toContain('precheck');
    expect(out).not.toContain('skipped');
    expect(out).toContain('  "intake" -> "run";\n');
  });
});
