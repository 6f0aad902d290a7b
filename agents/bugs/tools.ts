import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { defineTool } from '../../src/index.js';

export const createBugReport = defineTool({
  name: 'create_bug_report',
  status: 'Filing a bug report…',
  description:
    'File a bug report with the engineering team when troubleshooting did not help. Returns the ticket id to give the customer.',
  input: z.object({
    title: z.string().min(3).max(200).describe('Short summary, e.g. "App crashes on login (Android 14)"'),
    description: z.string().min(1).max(4000).describe('What happens, steps tried, device and app version'),
    severity: z.enum(['low', 'medium', 'high']).default('medium'),
    email: z.email().optional().describe("Customer's email for follow-up, if given"),
  }),
  run: async (input, { records, thread, userId, facts }) => {
    const ticketId = `BUG-${randomBytes(3).toString('hex').toUpperCase()}`;
    const createdAt = new Date().toISOString();
    await records.set(`bug:${ticketId}`, { ticketId, ...input, thread, reportedBy: userId, createdAt });
    facts.set('bug_report', ticketId);
    return { ticketId, createdAt, message: `Bug report ${ticketId} was filed with the engineering team.` };
  },
  examples: [
    'please file a bug report',
    'report this bug',
    'that did not help, open a ticket',
    'it still crashes, report it',
    'create a bug ticket',
    'yes file it',
    'file a bug please, here is my device',
    'can you report it to your developers',
    'report it to the devs',
  ],
  answerTemplate: (result) =>
    `I've filed bug report ${result.ticketId} with our engineers. Keep that id; we'll follow up as soon as they have looked at it.`,
});
