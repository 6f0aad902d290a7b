/** What a turn reports while it runs; adapters render these (streamed text, tool lines, handoff lines). */
export type TurnEvent =
  | { type: 'turn.start'; thread: string }
  /** Instead of a turn: the thread is with staff, and this message is passed on to them. */
  | { type: 'relay.start'; thread: string }
  | { type: 'text.delta'; agent: string; text: string }
  | { type: 'tool.call'; agent: string; tool: string; input: unknown; status: string }
  | { type: 'tool.result'; agent: string; tool: string; ok: boolean; ms: number }
  | { type: 'handoff'; from: string; to: string }
  /** The turn ends waiting for `requestedBy`; adapters show `question` with buttons, or with `hint` where there are none. */
  | {
      type: 'approval.requested';
      id: string;
      agent: string;
      tool: string;
      question: string;
      hint: string;
      requestedBy: string;
    }
  | { type: 'approval.resolved'; id: string; agent: string; tool: string; approved: boolean; by: string }
  /** The conversation goes to people; the bot stops answering in it until staff resolve the escalation. */
  | { type: 'escalation.requested'; agent: string; reason: string; urgency: string };

export type TurnEventListener = (event: TurnEvent) => void;
