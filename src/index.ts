/** The public surface that agent packs and adapters build on. */

export type { AgentSettings } from './configFile.js';
export type { InboundMessage, TurnOutcome } from './conversation/service.js';
export { ConversationService } from './conversation/service.js';
export type { RecordStore } from './conversation/store.js';
export { HelpCenter, type KnowledgeHit } from './knowledge/helpCenter.js';
export { createLogger, type Logger } from './log.js';
export type { Agent } from './orchestrator/agent.js';
export { AgentRegistry } from './orchestrator/agent.js';
export { applyAgentSettings } from './orchestrator/agentSettings.js';
export type { Source } from './orchestrator/citations.js';
export type { TurnEvent, TurnEventListener } from './orchestrator/events.js';
export { type IdentityRequired, isIdentityRequired, PERSON_OFFER } from './orchestrator/protocol.js';
export { identityQuestion, identityRequired, isOwner, type Requester, withheldFrom } from './orchestrator/requester.js';
export type { ReviewOptions } from './orchestrator/review.js';
export type { FactWriter } from './orchestrator/tool.js';
export {
  type AnsweringAgent,
  defineTool,
  type Tool,
  type ToolContext,
  type ToolDefinition,
} from './orchestrator/tool.js';
export { Telemetry, type TelemetryEvent } from './telemetry.js';
