/**
 * The visibility query builder: values are quoted, and a value with a control character (which
 * the server answers slowly or never) is refused with a VALIDATION error instead.
 */
import { isCascadenceError } from '../../../../src/core/errors';
import { quote, visibilityQuery } from '../../../../src/backends/temporal/visibility';

it('quotes values, escaping quotes and backslashes', () => {
  expect(quote(`it's a \\ test`)).toBe(`'it\\'s a \\\\ test'`);
  expect(visibilityQuery({ task: 'report', status: 'running' })).toBe(
    "CascadenceTask = 'report' AND ExecutionStatus = 'Running'",
  );
});

it.each(['a\u0000b', 'line\nbreak', 'tab\there', 'del\u007f'])('refuses %j with one VALIDATION line', (value) => {
  let caught: unknown;
  try {
    visibilityQuery({ task: value });
  } catch (err) {
    caught = err;
  }
  expect(isCascadenceError(caught) && caught.code).toBe('VALIDATION');
  expect((caught as Error).message).toMatch(/holds a control character$/);
});
