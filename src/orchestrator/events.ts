/** What a turn reports while it runs; adapters render these (streamed text, tool lines, handoff lines). */
export type TurnEvent =
  | { type: 'turn.start'; thread: string }
  | { type: 'text.delta'; agent: string; text: string }
  | { type: 'tool.call'; agent: string; tool: string; input: unknown }
  | { type: 'tool.result'; agent: string; tool: string; ok: boolean; ms: number }
  | { type: 'handoff'; from: string; to: string }
  | { type: 'approval.requested'; agent: string; tool: string; question: string; requestedBy: string }
  | { type: 'approval.resolved'; agent: string; tool: string; approved: boolean };

export type TurnEventListener = (event: TurnEvent) => void;
