import type { WebClient } from '@slack/web-api';
import type { Logger } from '../../src/log.js';
import { platformError } from './replies.js';

/** How long a person's profile is reused before Slack is asked again: an email change is seen within this. */
export const PROFILE_TTL_MS = 10 * 60_000;
/** After a failed look-up, how long to go without one for that person (Slack is having trouble, or the scope is off). */
const FAILED_PROFILE_TTL_MS = 60_000;
/** Profiles kept; the oldest are forgotten first. */
const MAX_PROFILES = 10_000;

export interface SlackProfile {
  /** Display name, else real name. */
  name?: string | undefined;
  /**
   * The profile's email, lowercased. Slack includes it only when the app has the `users:read.email` scope, and it is
   * the address the person signs in with, so it is taken as verified (unless Slack says it is not confirmed).
   */
  email?: string | undefined;
}

/**
 * Who wrote a message, as Slack knows them (`users.info`), for the requester every tool sees. Cached per person, and
 * best effort: a failed look-up gives an empty profile (the bot then asks for the email on an order, as on Discord),
 * never a failed turn.
 */
export class SlackProfiles {
  private readonly cache = new Map<string, { profile: SlackProfile; until: number }>();

  constructor(private readonly log: Logger) {}

  async of(client: WebClient, userId: string): Promise<SlackProfile> {
    const cached = this.cache.get(userId);
    if (cached && cached.until > Date.now()) return cached.profile;
    let profile: SlackProfile = {};
    let ttl = PROFILE_TTL_MS;
    try {
      const { user } = await client.users.info({ user: userId });
      const confirmed = (user as { is_email_confirmed?: boolean } | undefined)?.is_email_confirmed !== false;
      const email = user?.profile?.email?.trim().toLowerCase();
      profile = {
        name: user?.profile?.display_name || user?.profile?.real_name || user?.real_name || user?.name || undefined,
        email: email && confirmed && !user?.is_bot && !user?.deleted ? email : undefined,
      };
    } catch (err) {
      ttl = FAILED_PROFILE_TTL_MS;
      this.log.warn(
        { user: userId, reason: platformError(err) ?? (err instanceof Error ? err.message : String(err)) },
        'slack.profile_failed',
      );
    }
    this.cache.delete(userId);
    this.cache.set(userId, { profile, until: Date.now() + ttl });
    if (this.cache.size > MAX_PROFILES) this.cache.delete(this.cache.keys().next().value!);
    return profile;
  }
}
