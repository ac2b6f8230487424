/**
 * Reading DAG files (`dags/*.yml`, `.yaml` or `.json`): YAML errors with line and column, the
 * published JSON Schema (schemas/dag.schema.json), then the semantic checks (cycles, unknown
 * dependencies and tasks, conditions), all before anything starts. Node-only.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import Ajv, { type ErrorObject } from 'ajv';
import { parseYamlFile } from '../config/yaml';
import { CascadenceError, validateDag, type DagDefinition, type DagNode, type ValidDag } from '../core';

/** The published JSON Schema of DAG files. */
export const DAG_SCHEMA_PATH = resolve(__dirname, '..', '..', 'schemas', 'dag.schema.json');

let validator: ReturnType<Ajv['compile']> | undefined;
function schemaValidator(): ReturnType<Ajv['compile']> {
  validator ??= new Ajv({ allErrors: true, strict: false }).compile(
    JSON.parse(readFileSync(DAG_SCHEMA_PATH, 'utf8')) as object,
  );
  return validator;
}

function schemaProblem(e: ErrorObject): string {
  const at = e.instancePath ? e.instancePath.slice(1).replace(/\//g, '.') : '(top level)';
  if (e.keyword === 'additionalProperties') return `${at}: unknown key ${JSON.stringify(e.params.additionalProperty)}`;
  return `${at}: ${e.message ?? 'invalid'}`;
}

/** Turns a parsed file (nodes as a list or as a mapping) into the canonical definition. */
export function toCanonical(data: Record<string, unknown>): DagDefinition {
  const nodes = data.nodes;
  const list: DagNode[] = Array.isArray(nodes)
    ? (nodes as DagNode[])
    : Object.entries(nodes as Record<string, Omit<DagNode, 'id'>>).map(([id, n]) => ({ id, ...n }));
  return { ...(data as unknown as DagDefinition), nodes: list };
}

/**
 * Parses and checks a DAG file's text.
 * @throws CascadenceError VALIDATION: `<file>:<line>:<col>: ...` for YAML, `<file>: <path>: ...` for the schema, then semantic problems.
 */
export function parseDagText(text: string, file: string, knownTasks?: ReadonlySet<string>): ValidDag {
  const { doc } = parseYamlFile(text, file);
  let data: unknown;
  try {
    data = doc.toJS();
  } catch (err) {
    // Well-formed YAML that cannot become data (an alias to an anchor that is not set).
    throw new CascadenceError('VALIDATION', `${file}: ${(err as Error).message.split('\n')[0]}`, {
      hint: 'see schemas/dag.schema.json',
    });
  }
  return parseDagData(data, file, knownTasks);
}

/**
 * Checks a parsed DAG definition (a file's content, or a JSON body) against the schema, then
 * semantically; problems are prefixed with `where`.
 * @throws CascadenceError VALIDATION naming each problem.
 */
export function parseDagData(data: unknown, file: string, knownTasks?: ReadonlySet<string>): ValidDag {
  const validate = schemaValidator();
  if (!validate(data)) {
    const problems = [...new Set((validate.errors ?? []).filter((e) => e.keyword !== 'oneOf').map(schemaProblem))];
    throw new CascadenceError('VALIDATION', problems.map((p) => `${file}: ${p}`).join('\n'), {
      hint: 'see schemas/dag.schema.json',
    });
  }
  try {
    return validateDag(toCanonical(data as Record<string, unknown>), knownTasks ? { knownTasks } : {});
  } catch (err) {
    const e = err as CascadenceError;
    throw new CascadenceError(
      'VALIDATION',
      e.message
        .split('\n')
        .map((l) => `${file}: ${l}`)
        .join('\n'),
      {
        ...(e.hint ? { hint: e.hint } : {}),
      },
    );
  }
}

/**
 * Finds and loads a DAG: a file path, or a name looked up as `<dir>/<name>.yml|.yaml|.json`.
 * @throws CascadenceError USAGE when it cannot be found; VALIDATION when it is invalid.
 */
export function loadDag(ref: string, dagsDir: string, knownTasks?: ReadonlySet<string>): ValidDag {
  const candidates = existsSync(ref) ? [ref] : ['.yml', '.yaml', '.json'].map((ext) => join(dagsDir, `${ref}${ext}`));
  const file = candidates.find((f) => existsSync(f));
  if (!file) {
    throw new CascadenceError(
      'USAGE',
      `no DAG ${JSON.stringify(ref)}: not a file, and not in ${dagsDir}/ as .yml, .yaml or .json`,
      {
        hint: 'pass a file path, or set CASCADENCE_DAGS_PATH to the folder of your DAG files',
      },
    );
  }
  return parseDagText(readFileSync(file, 'utf8'), file, knownTasks);
}
