/**
 * Idea seeds, written once for every client: a seed is hashed at the edge, stored (always, with
 * or without a transport) and then published as an `idea_seed` event when a transport is
 * configured. Node-only.
 */
import { createHash } from 'node:crypto';
import { CascadenceError } from '../core/errors';
import type { EventBus } from '../events/bus';
import { hashId } from '../events/hash';
import { standaloneEvent, type IdeaSeedEvent } from '../events/ume';
import type { IdeaSeed, IdeaStore } from '../stores/idea-store';

/** Task name idea events are published under (`<prefix>.idea.ai-idea`). */
export const IDEA_EVENT_TASK = 'ai-idea';

/** What adding an idea works with. */
export interface IdeaDeps {
  store: IdeaStore;
  /** Where idea seeds go; absent when no transport is configured. */
  bus?: EventBus | undefined;
  /** Key of the id hashes. */
  hashSecret: string;
}

/** An idea, with the raw ids of who sent it (hashed here, never stored or sent raw). */
export interface AddIdeaRequest {
  text: string;
  userId?: string | undefined;
  groupId?: string | undefined;
}

/** What adding an idea did. */
export interface AddIdeaResult {
  seed: IdeaSeed;
  /** Whether its `idea_seed` event went to the configured transport. */
  sent: boolean;
  event_id: string;
}

/** The `idea_seed` event of a stored seed; the same seed always gives the same event id. */
export function ideaEvent(seed: IdeaSeed): IdeaSeedEvent {
  const key = createHash('sha256')
    .update(JSON.stringify([seed.text, seed.user_hash ?? '', seed.group_hash ?? '', seed.time]))
    .digest('hex')
    .slice(0, 32);
  return standaloneEvent<IdeaSeedEvent>(`idea:${key}`, {
    event_type: 'idea_seed',
    task: IDEA_EVENT_TASK,
    run_id: '',
    user_hash: seed.user_hash ?? '',
    group_hash: seed.group_hash ?? '',
    text: seed.text,
    time: seed.time,
  });
}

/**
 * Stores an idea seed, then publishes it when a transport is configured.
 * @throws CascadenceError USAGE for an empty text, CONFIG for a corrupt idea store.
 */
export async function addIdea(deps: IdeaDeps, req: AddIdeaRequest): Promise<AddIdeaResult> {
  const text = req.text.trim();
  if (!text) throw new CascadenceError('USAGE', 'an idea needs some text');
  const seed = await deps.store.add({
    text,
    ...(req.userId ? { user_hash: hashId(req.userId, deps.hashSecret) } : {}),
    ...(req.groupId ? { group_hash: hashId(req.groupId, deps.hashSecret) } : {}),
  });
  const event = ideaEvent(seed);
  deps.bus?.publish({ type: 'ume', event });
  return { seed, sent: deps.bus !== undefined, event_id: event.event_id };
}

/**
 * The idea seeds one user of one group sent (by hash), oldest first.
 * @throws CascadenceError CONFIG for a corrupt idea store.
 */
export function callerIdeas(store: IdeaStore, caller: { userHash: string; groupHash: string }): IdeaSeed[] {
  return store.list({ userHash: caller.userHash, groupHash: caller.groupHash });
}
