/**
 * Checking a schedule request before anything is created or persisted.
 */
import { CascadenceError } from '../core/errors';
import { OVERLAP_POLICIES, type ScheduleRequest } from './model';
import { validateCron, validateTimezone } from './cron';

/** Validates a schedule request. @throws CascadenceError VALIDATION or USAGE. */
export function validateScheduleRequest(
  request: ScheduleRequest,
  defaultTimezone: string,
): ScheduleRequest & { timezone: string } {
  if (!request.userId && !request.userHash)
    throw new CascadenceError('USAGE', 'a user id is required', { hint: 'pass --user-id' });
  if (!request.groupId && !request.groupHash)
    throw new CascadenceError('USAGE', 'a group id is required', { hint: 'pass --group-id' });
  const timezone = validateTimezone(request.timezone ?? defaultTimezone);
  const cron = validateCron(request.cron, timezone);
  if (request.overlap && !OVERLAP_POLICIES.includes(request.overlap)) {
    throw new CascadenceError('VALIDATION', `invalid overlap policy ${JSON.stringify(request.overlap)}`, {
      hint: `use one of ${OVERLAP_POLICIES.join(', ')}`,
    });
  }
  return { ...request, cron, timezone };
}
