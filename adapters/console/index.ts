import { randomUUID } from 'node:crypto';
import readline from 'node:readline';
import type { ConversationService, Respond, TurnOutcome } from '../../src/conversation/service.js';
import type { RecordStore } from '../../src/conversation/store.js';
import type { EscalationDesk } from '../../src/escalation/desk.js';
import type { Source } from '../../src/orchestrator/citations.js';
import type { TurnEvent } from '../../src/orchestrator/events.js';
import { ConsoleStaffSide } from './staffSide.js';

export interface ConsoleAdapterOptions {
  input: NodeJS.ReadableStream;
  output: NodeJS.WritableStream;
  /** Conversation id; the same id after a restart continues the same thread. */
  threadId?: string;
  /** Where `/new` records the conversation it started, so a restart continues that one rather than `threadId`. */
  memory?: RecordStore;
  userId?: string;
  /**
   * Who is typing, as the terminal vouches for them: their orders and invoices are shown without asking for the
   * email. `notice` is printed as the chat starts (e.g. that this is a demo customer, and how to be someone else).
   */
  identity?: { name: string; email: string; notice?: string } | undefined;
  /** Show a `you>` prompt (for a person at a terminal). */
  interactive?: boolean;
  /** Makes the terminal the staff channel too: escalations print there and `/staff …` lines play the staff side. */
  desk?: EscalationDesk;
}

export interface ConsoleAdapter {
  /** The conversation's thread key; `/new` changes it. */
  readonly thread: string;
  /**
   * Resolves when the input ends and every reply has been printed. It first says so when the conversation is with
   * the support team, since the bot then stays quiet.
   */
  run(): Promise<void>;
  /** Sends one line as if typed; resolves when its reply has been printed. */
  send(text: string): Promise<TurnOutcome>;
  /** Runs one `/staff …` line (without the `/staff`); resolves when its effects are printed. */
  staff(args: string): Promise<void>;
}

const MAX_TOOL_INPUT_CHARS = 120;
/** The record, in `memory`, of the conversation `/new` last started. */
const CURRENT_CONVERSATION_KEY = 'console:conversation';

export const CONSOLE_HELP =
  'Commands: /new starts a new conversation (the chat continues the latest one after a restart), /staff … plays the support team (/staff help lists how), /quit leaves.';
export const WITH_STAFF_NOTICE =
  'This conversation is with the support team, so the bot stays quiet: what you type goes to them. /staff resolve hands it back to the bot; /new starts a new conversation.';

const errorText = (err: unknown) => (err instanceof Error ? err.message : String(err));

export function consoleThreadKey(id: string): string {
  return `console:${id}`;
}

export function parseConsoleThreadKey(key: string): string | undefined {
  const match = /^console:(.+)$/.exec(key);
  return match?.[1];
}

/** Control characters but the line break and the tab: C0, DEL and C1, which a terminal would act on. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is what it is for.
const CONTROL_CHARACTERS = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;

/**
 * Text as a terminal should show it: a control character someone typed or pasted (an escape sequence that clears the
 * screen or retitles the window, a bell, a backspace) is written as its code, `\x1b`, not acted on.
 */
export function printable(text: string): string {
  return text.replace(CONTROL_CHARACTERS, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/** The articles an answer drew on, as plain text: `Sources: Title (https://…); Other title`. */
export function consoleSources(sources: readonly Source[]): string {
  return `Sources: ${sources.map((s) => (s.url ? `${s.title} (${s.url})` : s.title)).join('; ')}`;
}

/** Renders turn events as terminal lines: `[Agent] text…`, `  ↪ handoff`, `  · tool(…)`. */
class ConsoleRenderer {
  private speaker: string | undefined;
  private midLine = false;
  private readonly out: { write(text: string): void };

  /** Everything goes through `printable`: customers' words come back in echoes, relays, tool inputs and replies. */
  constructor(out: NodeJS.WritableStream) {
    this.out = { write: (text) => out.write(printable(text)) };
  }

  line(text: string): void {
    this.endLine();
    this.out.write(`${text}\n`);
    this.speaker = undefined;
  }

  private endLine(): void {
    if (this.midLine) this.out.write('\n');
    this.midLine = false;
  }

  event(event: TurnEvent, echo: string | undefined): void {
    switch (event.type) {
      case 'turn.start':
      case 'relay.start':
        if (echo !== undefined) this.line(`you> ${echo}`);
        return;
      case 'text.delta': {
        if (this.speaker !== event.agent) {
          this.endLine();
          this.out.write(`[${event.agent}] `);
          this.speaker = event.agent;
        }
        this.out.write(event.text);
        this.midLine = !event.text.endsWith('\n');
        return;
      }
      case 'handoff':
        this.line(`  ↪ ${event.from} → ${event.to}`);
        return;
      case 'tool.call': {
        const input = JSON.stringify(event.input ?? {});
        this.line(
          `  · ${event.tool} ${input.length > MAX_TOOL_INPUT_CHARS ? `${input.slice(0, MAX_TOOL_INPUT_CHARS)}…` : input}`,
        );
        return;
      }
      case 'tool.result':
        if (!event.ok) this.line(`  · ${event.tool} failed`);
        return;
      case 'approval.resolved':
        this.line(`  · ${event.tool} ${event.approved ? 'confirmed' : 'not confirmed'}`);
        return;
      case 'escalation.requested':
        return;
      case 'approval.requested':
        this.event(
          {
            type: 'text.delta',
            agent: event.agent,
            text: `${this.midLine ? '\n' : ''}${event.question} ${event.hint}`,
          },
          echo,
        );
        return;
    }
  }

  /** Ends a turn; a failed or refused turn prints its apology or reason as the answering agent. */
  finish(outcome: TurnOutcome): void {
    if (outcome.status === 'failed' || outcome.status === 'rejected') this.line(`[${outcome.agent}] ${outcome.reply}`);
    if (outcome.status === 'answered' && outcome.sources && outcome.sources.length > 0)
      this.line(consoleSources(outcome.sources));
    this.endLine();
    this.speaker = undefined;
  }
}

export function createConsoleAdapter(options: ConsoleAdapterOptions, service: ConversationService): ConsoleAdapter {
  let thread = consoleThreadKey(options.threadId ?? 'local');
  const userId = options.userId ?? 'console-user';
  const renderer = new ConsoleRenderer(options.output);
  const staffSide = options.desk
    ? new ConsoleStaffSide((line) => renderer.line(line), service, options.desk)
    : undefined;
  if (staffSide && options.desk) {
    options.desk.attach(staffSide);
    options.desk.attachStaffRoom(staffSide);
  }
  const { memory } = options;
  // Everything that uses the thread waits until the conversation `/new` last started is known.
  const resumed = (async () => {
    try {
      const id = await memory?.get<string>(CURRENT_CONVERSATION_KEY);
      if (id) thread = consoleThreadKey(id);
    } catch (err) {
      renderer.line(`  (could not read which conversation to continue, so this is ${thread}: ${errorText(err)})`);
    }
  })();
  const staff = async (args: string) => {
    await resumed;
    if (!staffSide) return renderer.line('  [staff] No staff side here: escalation is not set up.');
    if (!options.interactive) renderer.line(`staff> ${args.trim()}`);
    await staffSide.command(thread, args);
  };
  const startNew = async () => {
    await resumed;
    const id = `local-${new Date().toISOString().slice(0, 10)}-${randomUUID().slice(0, 8)}`;
    await memory?.set(CURRENT_CONVERSATION_KEY, id);
    thread = consoleThreadKey(id);
    renderer.line(`  (a new conversation: ${thread}; the previous one is kept)`);
  };

  // Piped input is echoed when its turn starts, so a transcript reads question, answer, question, answer.
  const echo = (text: string) => (options.interactive ? undefined : text);
  const respond =
    (text: string | undefined): Respond =>
    async (run) => {
      const outcome = await run((e) => renderer.event(e, text));
      renderer.finish(outcome);
      return outcome;
    };
  const send = async (text: string): Promise<TurnOutcome> => {
    await resumed;
    const { identity } = options;
    return service.handle(
      {
        id: `console-${randomUUID()}`,
        thread,
        userId,
        userName: identity?.name ?? 'you',
        verifiedEmail: identity?.email,
        text,
      },
      respond(echo(text)),
    );
  };
  // A message a killed run left unanswered in the data file is answered when the chat starts again.
  service.respondVia('console', (message) => respond(message.text));
  const noticeIfWithStaff = async () => {
    if (options.identity?.notice) renderer.line(`  (${options.identity.notice})`);
    await resumed;
    if ((await service.loadState(thread)).escalation) renderer.line(`  (${WITH_STAFF_NOTICE})`);
  };

  /** The command a line runs, if it is one that must wait for the lines before it. */
  const commandFor = (text: string): (() => Promise<void> | void) | undefined => {
    if (text === '/new') return startNew;
    if (text === '/help') return () => renderer.line(`  (${CONSOLE_HELP})`);
    if (/^\/staff(?:\s+|$)/.test(text)) return () => staff(text.slice('/staff'.length));
    return undefined;
  };

  const printError = (err: unknown) => renderer.line(`  (error: ${errorText(err)})`);

  const run = () =>
    new Promise<void>((resolve) => {
      const rl = readline.createInterface({ input: options.input, terminal: false });
      const pending = new Set<Promise<unknown>>();
      // A /staff or /new line waits for every line before it, and lines after it wait for it. Typed customer lines go
      // to the service at once, which queues them per thread, so each is answered in order; piped ones are a script,
      // each line written after the reply before it, so each is sent once that reply is out (a "yes" then answers
      // the question just printed, not one it crossed: see TurnRunner.run).
      let barrier: Promise<unknown> = noticeIfWithStaff().catch(printError);
      let script: Promise<unknown> = Promise.resolve();
      const prompt = () => {
        if (options.interactive) options.output.write('you> ');
      };
      // Lines already read past a /quit (piped input arrives in chunks) are still emitted after close(): drop them.
      let quit = false;
      rl.on('line', (raw) => {
        const text = raw.trim();
        if (quit) return;
        if (text === '') return prompt();
        if (text === '/quit' || text === '/exit') {
          quit = true;
          return rl.close();
        }
        const command = commandFor(text);
        let work: Promise<unknown>;
        if (command) work = barrier = Promise.allSettled([barrier, ...pending]).then(command);
        else if (options.interactive) work = barrier.then(() => send(text));
        else work = script = Promise.allSettled([barrier, script]).then(() => send(text));
        const tracked = work.catch(printError).finally(() => {
          pending.delete(tracked);
          if (pending.size === 0) prompt();
        });
        pending.add(tracked);
      });
      rl.on('close', () => {
        void Promise.allSettled([...pending]).then(() => resolve());
      });
      prompt();
    });

  return {
    get thread() {
      return thread;
    },
    run,
    send,
    staff,
  };
}
