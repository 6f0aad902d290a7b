/** The public surface that agent packs and adapters build on. */
export type { Agent } from './orchestrator/agent.js';
export { AgentRegistry } from './orchestrator/agent.js';
export { defineTool, type AnsweringAgent, type Tool, type ToolContext, type ToolDefinition } from './orchestrator/tool.js';
export type { FactWriter } from './orchestrator/tool.js';
export { identityQuestion, identityRequired, isOwner, type Requester } from './orchestrator/requester.js';
export { isIdentityRequired, type IdentityRequired } from './orchestrator/protocol.js';
export type { ReviewOptions } from './orchestrator/review.js';
export { Telemetry, type TelemetryEvent } from './telemetry.js';
export type { TurnEvent, TurnEventListener } from './orchestrator/events.js';
export type { RecordStore } from './conversation/store.js';
export type { InboundMessage, TurnOutcome } from './conversation/service.js';
export { ConversationService } from './conversation/service.js';
