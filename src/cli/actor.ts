/**
 * The `--user-id` of the commands that change a task or its schedule: who made the change,
 * hashed like every id and recorded in the task's audit trail.
 */
import { Flags } from '@oclif/core';
import type { Actor } from '../backends/backend';

/** The flag, shared by every changing command. */
export const actorFlags = {
  'user-id': Flags.string({ description: 'Who makes the change (hashed), recorded in the task’s audit trail.' }),
};

/** The actor the flags name. */
export function actorOf(flags: { 'user-id'?: string | undefined; 'group-id'?: string | undefined }): Actor {
  return {
    ...(flags['user-id'] ? { userId: flags['user-id'] } : {}),
    ...(flags['group-id'] ? { groupId: flags['group-id'] } : {}),
  };
}
