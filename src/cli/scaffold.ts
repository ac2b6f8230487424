/**
 * Scaffolding for `task init` and `task new task`: files copied from `templates/` with small
 * `{{key}}` substitutions. The templates are ordinary files (a `.tmpl` suffix, dropped on copy,
 * marks those that are not valid as they stand; `gitignore` becomes `.gitignore`).
 */
import { existsSync, statSync } from 'node:fs';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { CascadenceError } from '../core/errors';
import { isValidTaskName } from '../core/ids';
import type { TaskOptions } from '../core/task';

/** The Cascadence package's root folder (the same from `src/cli` and `dist/cli`). */
export const PACKAGE_ROOT = resolve(__dirname, '..', '..');
/** The package's `templates/` folder. */
export const TEMPLATES_DIR = join(PACKAGE_ROOT, 'templates');

function templatePath(...parts: string[]): string {
  const path = join(TEMPLATES_DIR, ...parts);
  if (!existsSync(path)) {
    throw new CascadenceError('INTERNAL', `template ${path} is missing`, {
      hint: 'reinstall Cascadence; its package must include templates/',
    });
  }
  return path;
}

/** Replaces `{{key}}` by `values[key]`; other text is left as is. */
export function render(text: string, values: Readonly<Record<string, string>>): string {
  return text.replace(/\{\{(\w+)\}\}/g, (whole, key: string) => values[key] ?? whole);
}

/** Name of the file a template becomes. */
function targetName(name: string): string {
  if (name === 'gitignore') return '.gitignore';
  return name.endsWith('.tmpl') ? name.slice(0, -'.tmpl'.length) : name;
}

/** Every file under `dir`, as paths relative to it, sorted. */
async function listFiles(dir: string, prefix = ''): Promise<string[]> {
  const out: string[] = [];
  const entries = await readdir(join(dir, prefix), { withFileTypes: true });
  for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) out.push(...(await listFiles(dir, rel)));
    else if (entry.isFile()) out.push(rel);
  }
  return out;
}

/** An npm package name made from a folder name. */
export function packageName(dir: string): string {
  const name = basename(resolve(dir))
    .toLowerCase()
    .replace(/[^a-z0-9._~-]+/g, '-')
    .replace(/^[._-]+|-+$/g, '');
  return name.slice(0, 214) || 'cascadence-tasks';
}

/** What `task init` made. */
export interface InitResult {
  dir: string;
  /** Files written, relative to `dir`, with `/` separators. */
  files: string[];
}

/**
 * Writes the starter project (`templates/init`) into `dir`, creating it if needed.
 * @throws CascadenceError USAGE when `dir` is a file, or is not empty and `force` is not set.
 */
export async function initProject(dir: string, options: { force?: boolean } = {}): Promise<InitResult> {
  const target = resolve(dir);
  if (existsSync(target)) {
    if (!statSync(target).isDirectory()) throw new CascadenceError('USAGE', `${dir} exists and is not a directory`);
    const present = await readdir(target);
    if (present.length > 0 && !options.force) {
      throw new CascadenceError('USAGE', `${dir} is not empty (${present.length} entries)`, {
        hint: 'choose a new or empty folder, or pass --force to write the starter files over it',
      });
    }
  }
  const source = templatePath('init');
  const values = { name: packageName(target) };
  const files: string[] = [];
  for (const rel of await listFiles(source)) {
    const parts = rel.split('/');
    const out = [...parts.slice(0, -1), targetName(parts[parts.length - 1] ?? rel)].join('/');
    const text = render(await readFile(join(source, rel), 'utf8'), values);
    await mkdir(dirname(join(target, out)), { recursive: true });
    await writeFile(join(target, out), text);
    files.push(out);
  }
  return { dir: target, files };
}

/** Options of a new task, from `task new task` flags. */
export interface NewTaskOptions {
  /** Folder of the module (default `tasks`). */
  dir?: string;
  /** `retry.maximumAttempts`. */
  retry?: number;
  /** `startToCloseTimeout`, in seconds. */
  timeoutSeconds?: number;
}

/** What `task new task` made. */
export interface NewTaskResult {
  task: string;
  /** The module, as given (relative to the working directory unless `dir` was absolute). */
  file: string;
  options: TaskOptions;
}

/**
 * A flag's value as a whole number of at least 1 (undefined stays undefined).
 * @throws CascadenceError USAGE naming the flag.
 */
export function positiveInteger(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value.trim());
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < 1) {
    throw new CascadenceError('USAGE', `${flag} must be a whole number of at least 1, got ${JSON.stringify(value)}`);
  }
  return n;
}

/** The options a new task is written with. */
export function newTaskOptions(options: NewTaskOptions): TaskOptions {
  return {
    ...(options.retry === undefined ? {} : { retry: { maximumAttempts: options.retry } }),
    ...(options.timeoutSeconds === undefined ? {} : { startToCloseTimeout: `${options.timeoutSeconds}s` }),
  };
}

/** `options` as a JavaScript object literal. */
function optionsLiteral(options: TaskOptions): string {
  const parts: string[] = [];
  if (options.retry?.maximumAttempts !== undefined) {
    parts.push(`retry: { maximumAttempts: ${options.retry.maximumAttempts} }`);
  }
  if (options.startToCloseTimeout !== undefined) {
    parts.push(`startToCloseTimeout: '${String(options.startToCloseTimeout)}'`);
  }
  return parts.length ? `{ ${parts.join(', ')} }` : '{}';
}

/**
 * Writes a task module `<dir>/<name>.js` with every stage stubbed.
 * @throws CascadenceError USAGE for an invalid task name or an existing file.
 */
export async function newTask(name: string, options: NewTaskOptions = {}): Promise<NewTaskResult> {
  if (!isValidTaskName(name)) {
    throw new CascadenceError('USAGE', `invalid task name ${JSON.stringify(name)}`, {
      hint: 'use letters, digits, ".", "_" or "-", starting with a letter or digit (at most 128)',
    });
  }
  const file = join(options.dir ?? 'tasks', `${name}.js`);
  const taskOptions = newTaskOptions(options);
  const text = render(await readFile(templatePath('new', 'task.js.tmpl'), 'utf8'), {
    name,
    key: /^[A-Za-z_$][\w$]*$/.test(name) ? name : `'${name}'`,
    file: relative(process.cwd(), resolve(file)) || file,
    options: optionsLiteral(taskOptions),
  });
  await mkdir(dirname(file), { recursive: true });
  try {
    await writeFile(file, text, { flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new CascadenceError('USAGE', `${file} already exists`, { hint: 'choose another name or --dir' });
    }
    throw new CascadenceError('USAGE', `cannot write ${file}: ${(err as Error).message}`);
  }
  return { task: name, file, options: taskOptions };
}
