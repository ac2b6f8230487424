/**
 * One benchmark report: reads every `bench/results/<name>.json` the benchmarks wrote, takes from
 * each its headline figures with their same-run baselines, and writes
 * `bench/results/latest.json` (every figure, its baseline, the ratio, the target and whether it
 * was met, the machine and its load) and `bench/results/latest.svg` (the ratios as a chart), and
 * prints one table. Targets are information, never assertions: this exits 0 whatever they say.
 *
 *   node -r ts-node/register/transpile-only bench/report.ts
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { environment } from './lib/harness';

const RESULTS = join(__dirname, 'results');

/** One headline figure: what was measured beside what it is compared with, in the same run. */
export interface Figure {
  benchmark: string;
  figure: string;
  unit: string;
  value: number;
  baseline: number | null;
  baselineLabel: string;
  /** value / baseline (for "lower is better" figures too: the target says which way is good). */
  ratio: number | null;
  target: string;
  met: boolean | null;
  /** When the benchmark ran, and the load average then. */
  measuredAt?: string;
  loadAverage?: number[];
}

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- each result file has its own shape

const ratio = (a: number | undefined, b: number | undefined): number | null =>
  a === undefined || b === undefined || b === 0 ? null : Math.round((a / b) * 1000) / 1000;

const metOf = (v: unknown): boolean | null => (typeof v === 'boolean' ? v : null);

/** How each benchmark's result file becomes figures (a missing field leaves that figure out). */
const EXTRACTORS: Record<string, (r: Json) => Array<Omit<Figure, 'benchmark'>>> = {
  'pipeline-temporal': (r) => {
    const c = r.cascadence ?? {};
    const b = r.baseline ?? {};
    // Issue 14's target: within 5% of the hand-written workflow.
    const ok = (x: number | null) => (x === null ? null : x <= 1.05);
    const th = ratio(c.runsPerSec, b.runsPerSec);
    return [
      {
        figure: 'pipeline latency p50',
        unit: 'ms',
        value: c.latencyMs?.p50,
        baseline: b.latencyMs?.p50,
        baselineLabel: 'five hand-written activities',
        ratio: ratio(c.latencyMs?.p50, b.latencyMs?.p50),
        target: '≤ 1.05×',
        met: ok(ratio(c.latencyMs?.p50, b.latencyMs?.p50)),
      },
      {
        figure: 'pipeline latency p95',
        unit: 'ms',
        value: c.latencyMs?.p95,
        baseline: b.latencyMs?.p95,
        baselineLabel: 'five hand-written activities',
        ratio: ratio(c.latencyMs?.p95, b.latencyMs?.p95),
        target: '≤ 1.05×',
        met: ok(ratio(c.latencyMs?.p95, b.latencyMs?.p95)),
      },
      {
        figure: 'pipeline throughput',
        unit: 'runs/s',
        value: c.runsPerSec,
        baseline: b.runsPerSec,
        baselineLabel: 'five hand-written activities',
        ratio: th,
        target: '≥ 0.95×',
        met: th === null ? null : th >= 0.95,
      },
      ...(r.local
        ? [
            {
              figure: 'local-activity pipeline throughput',
              unit: 'runs/s',
              value: r.local.runsPerSec,
              baseline: b.runsPerSec,
              baselineLabel: 'five hand-written activities',
              ratio: ratio(r.local.runsPerSec, b.runsPerSec),
              target: '≥ 2×',
              met: (ratio(r.local.runsPerSec, b.runsPerSec) ?? 0) >= 2,
            },
          ]
        : []),
    ];
  },
  'pipeline-base': (r) =>
    (['memory', 'jsonl'] as const)
      .filter((k) => r[k])
      .map((k) => ({
        figure: `base pipelines/s (${k === 'memory' ? 'memory store' : 'JSONL store'})`,
        unit: 'runs/s',
        value: r[k].pipelinesPerSec,
        baseline: r[k].baselinePerSec,
        baselineLabel: 'stage methods awaited in sequence',
        ratio: r[k].ratio ?? ratio(r[k].pipelinesPerSec, r[k].baselinePerSec),
        target: `≥ ${r[k].target} runs/s`,
        met: metOf(r[k].met),
      }))
      .concat(
        r.longRun
          ? [
              {
                figure: `base RSS after ${r.longRun.runs} runs (JSONL store)`,
                unit: 'MiB',
                value: r.longRun.rssEndMiB,
                baseline: r.longRun.rssFromMiB,
                baselineLabel: 'RSS after 100,000 runs',
                ratio: ratio(r.longRun.rssEndMiB, r.longRun.rssFromMiB),
                target: '≤ 1.1×',
                met: metOf(r.longRun.rssMet),
              },
              {
                figure: 'JSONL store: most unwritten at once',
                unit: 'KiB',
                value: r.longRun.maxUnwrittenKiB,
                baseline: null,
                baselineLabel: '',
                ratio: null,
                target: '≤ 8 MiB',
                met: metOf(r.longRun.unwrittenMet),
              },
            ]
          : [],
      ),
  'cli-startup': (r) => {
    const help = r.commands?.['task --help'];
    const node = r.commands?.['node -e 0 (baseline)'];
    return help
      ? [
          {
            figure: 'task --help start-up (median)',
            unit: 'ms',
            value: help.p50,
            baseline: node?.p50 ?? null,
            baselineLabel: 'node -e 0',
            ratio: ratio(help.p50, node?.p50),
            target: `< ${r.target?.medianUnderMs ?? 300} ms`,
            met: metOf(r.target?.met),
          },
        ]
      : [];
  },
  dag: (r) => {
    const out: Array<Omit<Figure, 'benchmark'>> = [];
    if (r.validation)
      out.push({
        figure: 'validate a 10,000-node DAG (median)',
        unit: 'ms',
        value: r.validation.validateDagMs?.p50,
        baseline: r.validation.baselineArraysMs?.p50 ?? null,
        baselineLabel: 'hand-written Kahn sort',
        ratio: r.validation.ratio ?? null,
        target: `< ${r.validation.targetMs} ms`,
        met: metOf(r.validation.met),
      });
    const cores = (r.environment?.cpus as number | undefined) ?? 2;
    for (const run of (r.layered ?? []) as Json[]) {
      // The bound: the critical path, or the CPU the run needs spread over the cores.
      const floor = ((run.processCpuMs ?? 0) + (run.serverCpuMs ?? 0)) / cores;
      const bound = Math.max(run.boundMs ?? 0, floor);
      out.push({
        figure: `${run.nodes}-node DAG wall time (${run.kind})`,
        unit: 'ms',
        value: run.wallMs,
        baseline: Math.round(bound),
        baselineLabel: 'max(critical path, CPU floor)',
        ratio: ratio(run.wallMs, bound),
        target: '≤ 1.2×',
        met: bound > 0 ? run.wallMs / bound <= 1.2 : null,
      });
    }
    // CPU per node (bench process + dev server) of the other node kinds against child pipelines
    // with regular stages, the default, in the same run.
    const child = ((r.layered ?? []) as Json[]).find((run) => run.kind === 'child');
    for (const run of (r.layered ?? []) as Json[]) {
      if (run.kind === 'child' || run.cpuPerNodeMs === undefined || !child) continue;
      out.push({
        figure: `${run.nodes}-node DAG CPU per node (${run.kind})`,
        unit: 'ms',
        value: run.cpuPerNodeMs,
        baseline: child.cpuPerNodeMs ?? null,
        baselineLabel: 'child pipelines, regular stages',
        ratio: run.cpuPerNodeVsChild ?? null,
        target: '≤ 0.5×',
        met: typeof run.cpuPerNodeVsChild === 'number' ? run.cpuPerNodeVsChild <= 0.5 : null,
      });
    }
    return out;
  },
  'events-nats': (r) =>
    Object.entries((r.checks ?? {}) as Record<string, { ratio?: number; met?: boolean }>).map(([name, c]) => ({
      figure: `events on: ${name}`,
      unit: 'ratio',
      value: c.ratio ?? NaN,
      baseline: 1,
      baselineLabel: 'events off, same run',
      ratio: c.ratio ?? null,
      target: name.startsWith('throughput') ? '≥ 0.95×' : '≤ 1.05×',
      met: metOf(c.met),
    })),
  'api-run': (r) =>
    Object.entries((r.checks ?? {}) as Record<string, { throughput?: number; p99?: number; met?: boolean }>).flatMap(
      ([clients, c]) => [
        {
          figure: `API run?wait=false throughput, ${clients.slice(1)} clients`,
          unit: 'req/s',
          value: r.results?.API?.[clients.slice(1)]?.rps ?? NaN,
          baseline: r.results?.bare?.[clients.slice(1)]?.rps ?? null,
          baselineLabel: 'bare fastify route + workflow.start',
          ratio: c.throughput ?? null,
          target: '≥ 0.8×',
          met: c.throughput === undefined ? null : c.throughput >= 0.8,
        },
        {
          figure: `API run?wait=false p99, ${clients.slice(1)} clients`,
          unit: 'ms',
          value: r.results?.API?.[clients.slice(1)]?.p99 ?? NaN,
          baseline: r.results?.bare?.[clients.slice(1)]?.p99 ?? null,
          baselineLabel: 'bare fastify route + workflow.start',
          ratio: c.p99 ?? null,
          target: '≤ 1.5×',
          met: c.p99 === undefined ? null : c.p99 <= 1.5,
        },
      ],
    ),
  'worker-memory': (r) =>
    ((r.figures ?? []) as Array<Omit<Figure, 'benchmark'>>).filter((f) => typeof f.value === 'number'),
};

/** Every figure the result files hold, in benchmark order. */
export function collectFigures(dir = RESULTS): Figure[] {
  const figures: Figure[] = [];
  for (const [benchmark, extract] of Object.entries(EXTRACTORS)) {
    const file = join(dir, `${benchmark}.json`);
    if (!existsSync(file)) continue;
    const result = JSON.parse(readFileSync(file, 'utf8')) as Json;
    for (const f of extract(result)) {
      if (typeof f.value !== 'number' || Number.isNaN(f.value)) continue;
      figures.push({
        benchmark,
        ...f,
        ...(result.environment?.date ? { measuredAt: result.environment.date } : {}),
        ...(result.environment?.loadAverage ? { loadAverage: result.environment.loadAverage } : {}),
      });
    }
  }
  return figures;
}

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/**
 * The ratios as bars growing from 1× on a log scale (left: below the baseline, right: above);
 * green: target met, red: not met, grey: no target.
 */
export function chart(figures: Figure[], title: string): string {
  const rows = figures.filter((f) => f.ratio !== null && (f.ratio as number) > 0);
  const left = 330;
  const width = 1000;
  const barArea = width - left - 170;
  const rowH = 22;
  const top = 48;
  const height = top + rows.length * rowH + 30;
  const lo = Math.min(0.25, ...rows.map((f) => f.ratio as number));
  const hi = Math.max(4, ...rows.map((f) => f.ratio as number));
  const x = (v: number) => left + ((Math.log(v) - Math.log(lo)) / (Math.log(hi) - Math.log(lo))) * barArea;
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    `<text x="10" y="20" font-size="15" font-weight="bold">${esc(title)}</text>`,
    `<text x="10" y="38" fill="#555">each figure over its same-run baseline, log scale (1× = equal); green: target met, red: not met</text>`,
  ];
  for (const tick of [0.25, 0.5, 1, 2, 4, 8, 16].filter((t) => t >= lo && t <= hi)) {
    parts.push(
      `<line x1="${x(tick)}" y1="${top}" x2="${x(tick)}" y2="${height - 24}" stroke="${tick === 1 ? '#000' : '#ddd'}"${tick === 1 ? ' stroke-dasharray="4 3"' : ''}/>`,
      `<text x="${x(tick)}" y="${height - 10}" text-anchor="middle">${tick}×</text>`,
    );
  }
  rows.forEach((f, i) => {
    const y = top + i * rowH;
    const r = f.ratio as number;
    const colour = f.met === null ? '#999' : f.met ? '#2e8540' : '#c62828';
    const [from, to] = r >= 1 ? [x(1), x(r)] : [x(r), x(1)];
    parts.push(
      `<text x="${left - 8}" y="${y + 15}" text-anchor="end">${esc(f.figure)}</text>`,
      `<rect x="${from}" y="${y + 4}" width="${Math.max(1, to - from)}" height="${rowH - 8}" fill="${colour}"/>`,
      `<text x="${Math.max(x(1), x(r)) + 4}" y="${y + 15}">${r.toFixed(2)}× (${esc(f.target)})</text>`,
    );
  });
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}

function table(figures: Figure[]): string {
  const rows = figures.map((f) => [
    f.benchmark,
    f.figure,
    `${round(f.value)} ${f.unit}`,
    f.baseline === null ? '-' : `${round(f.baseline)} (${f.baselineLabel})`,
    f.ratio === null ? '-' : `${f.ratio.toFixed(3)}×`,
    f.target,
    f.met === null ? '-' : f.met ? 'met' : 'NOT MET',
  ]);
  const head = ['benchmark', 'figure', 'value', 'baseline (same run)', 'ratio', 'target', 'result'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) => r.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ');
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

const round = (v: number): string => (Math.abs(v) >= 100 ? v.toFixed(0) : v.toFixed(2));

if (require.main === module) {
  const figures = collectFigures();
  const env = environment() as { date: string; cpus: number; cpuModel?: string };
  const met = figures.filter((f) => f.met === true).length;
  const missed = figures.filter((f) => f.met === false).length;
  writeFileSync(
    join(RESULTS, 'latest.json'),
    `${JSON.stringify({ generated: new Date().toISOString(), machine: env, figures, summary: { met, missed } }, null, 2)}\n`,
  );
  writeFileSync(
    join(RESULTS, 'latest.svg'),
    chart(figures, `Cascadence benchmarks, ${env.date.slice(0, 10)}, ${env.cpus} × ${env.cpuModel}`),
  );
  process.stdout.write(
    `${table(figures)}\n\n${met} targets met, ${missed} not met; bench/results/latest.json, latest.svg\n`,
  );
}
