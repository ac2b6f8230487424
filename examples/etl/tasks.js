// The ETL example (extract -> transform -> load -> notify, Cascade's example DAG) as a task
// module: `CASCADENCE_TASK_MODULES=examples/etl/tasks.js task dag run examples/etl/etl.yml ...`.
// Each task only has `run`; in a DAG, a node's output is its pipeline's result (here `run`'s),
// and the nodes after it read it from `ctx.upstream.<node id>`.
const { writeFileSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');

/** A small fixed dataset standing in for a source system: daily readings of three stations. */
const READINGS = [
  { station: 'oslo', day: '2024-01-01', tempC: -4.5 },
  { station: 'oslo', day: '2024-01-02', tempC: -2 },
  { station: 'lisbon', day: '2024-01-01', tempC: 14.5 },
  { station: 'lisbon', day: '2024-01-02', tempC: null },
  { station: 'nairobi', day: '2024-01-01', tempC: 24 },
  { station: 'nairobi', day: '2024-01-02', tempC: 25.5 },
];

/** The output of dependency `node`, or a clear error when the task runs outside the DAG. */
function upstream(ctx, node) {
  const value = ctx.upstream?.[node];
  if (value === undefined)
    throw new Error(`${ctx.task} needs the output of node ${node}: run it in examples/etl/etl.yml`);
  return value;
}

/** Extract: the raw records (the same every run), optionally only some stations (`input: { stations: [...] }`). */
const extract = {
  description: 'ETL: read a small fixed dataset of temperature readings',
  run(ctx) {
    const only = ctx.input?.stations;
    const records = READINGS.filter((r) => !Array.isArray(only) || only.includes(r.station)).map((r) => ({ ...r }));
    return { rows: records.length, records };
  },
};

/** Transform: drops readings without a temperature, adds Fahrenheit, sorts by station and day. */
const transform = {
  description: 'ETL: clean the readings and add Fahrenheit',
  run(ctx) {
    const { records } = upstream(ctx, 'extract');
    const clean = records
      .filter((r) => typeof r.tempC === 'number')
      .map((r) => ({ ...r, tempF: Math.round((r.tempC * 9) / 5 + 32) }))
      .sort((a, b) => a.station.localeCompare(b.station) || a.day.localeCompare(b.day));
    return { rows: clean.length, dropped: records.length - clean.length, records: clean };
  },
};

/** Load: writes the records as JSON lines to a file in the temp dir named from the run id. */
const load = {
  description: 'ETL: write the records to <tmpdir>/cascadence-etl-<run id>.jsonl',
  run(ctx) {
    const { records } = upstream(ctx, 'transform');
    const file = join(tmpdir(), `cascadence-etl-${ctx.runId.replace(/[^A-Za-z0-9_.-]/g, '_')}.jsonl`);
    writeFileSync(file, records.map((r) => JSON.stringify(r) + '\n').join(''));
    return { rows: records.length, file };
  },
};

/** Notify: a one-line summary (a stand-in for a message to a chat channel); runs only when rows were loaded. */
const notify = {
  description: 'ETL: summarise the load',
  run(ctx) {
    const { rows, file } = upstream(ctx, 'load');
    return { message: `etl: loaded ${rows} rows into ${file}`, rows, file };
  },
};

exports.tasks = { extract, transform, load, notify };
