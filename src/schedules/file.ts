/**
 * The schedules file (`schedules.yml`): task name → a cron string, or a mapping with `expr`,
 * `user_id`/`group_id` (raw, hashed on load) or `user_hash`/`group_hash` (as exported; a value
 * that is not a hash is a plaintext id older files hold), `timezone`, `recurrence` (any YAML
 * value; a string one is the schedule's note), `note`, `overlap`, `paused`, `input`,
 * `calendar_event`, and the original's `deps`. The whole file is
 * validated before anything is registered; every problem names the entry and its YAML line.
 */
import { isMap, isScalar, type Node, type Scalar } from 'yaml';
import { parseYamlFile } from '../config/yaml';
import { CascadenceError } from '../core/errors';
import { OVERLAP_POLICIES, type OverlapPolicy, type ScheduleInfo, type ScheduleRequest } from './model';
import { validateCron, validateTimezone } from './cron';

const KEYS = [
  'expr',
  'user_id',
  'group_id',
  'user_hash',
  'group_hash',
  'timezone',
  'recurrence',
  'overlap',
  'note',
  'paused',
  'input',
  'calendar_event',
  // The original DagCronScheduler's prerequisites: kept in the file, read from the task's dependsOn here.
  'deps',
];

/** A stored hash: 64 hex digits. Anything else in `user_hash`/`group_hash` is a plaintext id the original wrote. */
const HASH = /^[0-9a-f]{64}$/;

/** Options for reading a schedules file. */
export interface ParseOptions {
  /** Task names that exist; entries for others are errors (`'any'` accepts every name, for stored files). */
  knownTasks: readonly string[] | 'any';
  /** Timezone of entries without one. */
  defaultTimezone: string;
  /** Ids for entries that give none (e.g. from `--user-id`/`--group-id`). */
  defaults?: { userId?: string; groupId?: string };
}

/**
 * Parses and validates a schedules file's text. Returns the schedule requests, in file order.
 * @throws CascadenceError VALIDATION listing every problem (`<file>:<line>: <entry>: <problem>`), one per line.
 */
export function parseSchedulesFile(text: string, file: string, options: ParseOptions): ScheduleRequest[] {
  const { doc, lineCounter } = parseYamlFile(text, file);
  const lineOf = (node: Node | null | undefined): number => (node?.range ? lineCounter.linePos(node.range[0]).line : 1);
  // An empty document (nothing, comments, or a bare `---`) holds no schedules.
  if (doc.contents === null || (isScalar(doc.contents) && doc.contents.value === null)) return [];
  if (!isMap(doc.contents)) {
    throw new CascadenceError('VALIDATION', `${file}:1: expected a mapping of task name to cron or settings`);
  }
  const problems: string[] = [];
  const requests: ScheduleRequest[] = [];
  for (const pair of doc.contents.items) {
    const keyNode = pair.key as Node;
    const name = isScalar(keyNode) ? scalarText(keyNode) : '';
    // Names print on one line whatever they hold (a quoted key may contain a line break).
    const shown = /^[\w.-]+$/.test(name) ? name : JSON.stringify(name);
    const at = `${file}:${lineOf(keyNode)}: ${shown || '(entry)'}`;
    const problem = (line: number, what: string): void => void problems.push(`${file}:${line}: ${shown}: ${what}`);
    if (options.knownTasks !== 'any' && !options.knownTasks.includes(name)) {
      problems.push(`${at}: unknown task (known tasks: ${options.knownTasks.join(', ') || 'none'})`);
      continue;
    }
    const value = pair.value as Node | null;
    // Maps, not plain objects: a key such as `__proto__` must stay an ordinary key.
    const raw = new Map<string, unknown>();
    const lines = new Map<string, number>();
    if (isScalar(value) && typeof value.value === 'string') raw.set('expr', value.value);
    else if (isMap(value)) {
      for (const item of value.items) {
        const k = isScalar(item.key) ? scalarText(item.key) : '';
        lines.set(k, lineOf(item.key as Node));
        raw.set(k, isScalar(item.value) ? scalarValue(item.value) : (item.value as Node | null)?.toJSON?.());
        if (!KEYS.includes(k)) {
          problem(lines.get(k) ?? lineOf(value), `unknown key ${JSON.stringify(k)} (known: ${KEYS.join(', ')})`);
        }
      }
    } else {
      problems.push(`${at}: expected a cron string or a mapping with expr`);
      continue;
    }
    const line = (k: string): number => lines.get(k) ?? lineOf(keyNode);
    const str = (k: string): string | undefined => {
      const v = raw.get(k);
      if (v === undefined || v === null) return undefined;
      if (typeof v !== 'string' && typeof v !== 'number') {
        problem(line(k), `${k} must be a string`);
        return undefined;
      }
      return String(v);
    };
    const expr = str('expr');
    const timezone = str('timezone') ?? options.defaultTimezone;
    // Older files hold plaintext ids, in user_id/group_id or in a *_hash key that is not a hash.
    const hashOr = (k: 'user_hash' | 'group_hash'): { hash?: string; plain?: string } => {
      const v = str(k);
      if (v === undefined) return {};
      return HASH.test(v) ? { hash: v } : { plain: v };
    };
    const user = hashOr('user_hash');
    const group = hashOr('group_hash');
    const calendarIds = calendarEventIds(raw.get('calendar_event'));
    const userId = str('user_id') ?? user.plain ?? calendarIds.userId ?? options.defaults?.userId;
    const groupId = str('group_id') ?? group.plain ?? calendarIds.groupId ?? options.defaults?.groupId;
    const userHash = user.hash;
    const groupHash = group.hash;
    const overlap = str('overlap');
    // `recurrence` may be of any YAML type (the original wrote `{cron, note}`); a string one is the schedule's note.
    const recurrenceValue = raw.get('recurrence');
    const recurrence = recurrenceValue === null || typeof recurrenceValue === 'string' ? undefined : recurrenceValue;
    const note = str('note') ?? (typeof recurrenceValue === 'string' ? recurrenceValue : undefined);
    const paused = raw.get('paused');
    if (paused !== undefined && typeof paused !== 'boolean') problem(line('paused'), 'paused must be true or false');
    const calendar = calendarEvent(raw.get('calendar_event'), (what) => problem(line('calendar_event'), what));
    if (!expr && !calendar) problem(line('expr'), 'expr (the cron expression) or calendar_event is required');
    let cron = '';
    let timezoneOk = true;
    try {
      validateTimezone(timezone);
    } catch (err) {
      timezoneOk = false;
      problem(line('timezone'), (err as Error).message);
    }
    if (expr && timezoneOk) {
      try {
        cron = validateCron(expr, timezone);
      } catch (err) {
        problem(line('expr'), (err as Error).message);
      }
    }
    if (!userId && !userHash) problem(line('user_id'), 'user_id is required (or pass --user-id)');
    if (!groupId && !groupHash) problem(line('group_id'), 'group_id is required (or pass --group-id)');
    if (overlap && !(OVERLAP_POLICIES as readonly string[]).includes(overlap)) {
      problem(line('overlap'), `overlap must be one of ${OVERLAP_POLICIES.join(', ')}`);
    }
    requests.push({
      task: name,
      cron,
      timezone,
      ...(userHash ? { userHash } : { userId: userId ?? '' }),
      ...(groupHash ? { groupHash } : { groupId: groupId ?? '' }),
      ...(overlap ? { overlap: overlap as OverlapPolicy } : {}),
      ...(note ? { note } : {}),
      ...(recurrence === undefined ? {} : { recurrence }),
      ...(typeof paused === 'boolean' ? { paused } : {}),
      ...(raw.has('input') ? { input: raw.get('input') } : {}),
      ...(calendar ? { calendar } : {}),
    });
  }
  if (problems.length > 0) {
    throw new CascadenceError('VALIDATION', problems.join('\n'), { hint: 'nothing was registered' });
  }
  return requests;
}

/** A `calendar_event` value: the node as a string, or `{ node, poll? }` (poll in seconds). */
function calendarEvent(value: unknown, problem: (what: string) => void): { node: string; poll?: number } | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') {
    if (value.trim() === '') problem('calendar_event node is required');
    return value.trim() ? { node: value.trim() } : undefined;
  }
  if (typeof value !== 'object' || Array.isArray(value)) {
    problem('calendar_event must be a node name or a mapping with node and poll');
    return undefined;
  }
  const { node, poll, user_id: _user, group_id: _group, ...rest } = value as Record<string, unknown>;
  if (Object.keys(rest).length > 0)
    problem(`calendar_event: unknown key(s) ${Object.keys(rest).join(', ')} (known: node, poll, user_id, group_id)`);
  if (typeof node !== 'string' || node.trim() === '') {
    problem('calendar_event missing node');
    return undefined;
  }
  if (poll !== undefined && !(typeof poll === 'number' && Number.isInteger(poll) && poll >= 1)) {
    problem('calendar_event poll must be a whole number of seconds, at least 1');
    return { node: node.trim() }; // reported; still a calendar entry, so expr is not asked for too
  }
  return { node: node.trim(), ...(poll === undefined ? {} : { poll }) };
}

/** The ids a `calendar_event` mapping may carry (the original's fallback for the entry's own). */
function calendarEventIds(value: unknown): { userId?: string; groupId?: string } {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return {};
  const { user_id: userId, group_id: groupId } = value as Record<string, unknown>;
  return {
    ...(typeof userId === 'string' || typeof userId === 'number' ? { userId: String(userId) } : {}),
    ...(typeof groupId === 'string' || typeof groupId === 'number' ? { groupId: String(groupId) } : {}),
  };
}

/** The text of a scalar as written (`007` stays "007"; a long number keeps every digit). */
function scalarText(node: Scalar): string {
  if (typeof node.value === 'string') return node.value;
  return node.source ?? String(node.value);
}

/** A scalar's value, keeping numbers as written so ids and names are never rewritten. */
function scalarValue(node: Scalar): unknown {
  return typeof node.value === 'number' || node.value === null || typeof node.value === 'boolean'
    ? typeof node.value === 'boolean'
      ? node.value
      : (node.source ?? node.value)
    : node.value;
}

/** What a schedules file holds of a schedule. */
export type ScheduleEntry = Pick<
  ScheduleInfo,
  'name' | 'cron' | 'timezone' | 'userHash' | 'groupHash' | 'overlap' | 'paused'
> & {
  note?: string;
  /** The entry's `recurrence` when it is not plain text (any YAML value, kept as written). */
  recurrence?: unknown;
  /** Task input of every run. */
  input?: unknown;
};

/** Schedules as a schedules file (hashed ids only), which `load-schedules` reads back. */
export function formatSchedulesFile(schedules: ScheduleEntry[]): string {
  const lines = ['# Cascadence schedules (ids are hashed; `task load-schedules FILE` reads this back)'];
  for (const s of schedules) {
    lines.push(`${JSON.stringify(s.name)}:`);
    lines.push(`  expr: ${JSON.stringify(s.cron)}`);
    lines.push(`  timezone: ${JSON.stringify(s.timezone)}`);
    lines.push(`  user_hash: ${JSON.stringify(s.userHash)}`);
    lines.push(`  group_hash: ${JSON.stringify(s.groupHash)}`);
    lines.push(`  overlap: ${s.overlap}`);
    // A plain-text note is written as `recurrence` (what the original read); beside a structured recurrence, as `note`.
    if (s.recurrence !== undefined) {
      lines.push(`  recurrence: ${JSON.stringify(s.recurrence)}`);
      if (s.note) lines.push(`  note: ${JSON.stringify(s.note)}`);
    } else if (s.note) lines.push(`  recurrence: ${JSON.stringify(s.note)}`);
    lines.push(`  paused: ${s.paused}`);
    if (s.input !== undefined) lines.push(`  input: ${JSON.stringify(s.input)}`);
  }
  return `${lines.join('\n')}\n`;
}
