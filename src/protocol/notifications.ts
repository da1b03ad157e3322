import * as z from 'zod/mini';
import { ChatDidUpdate } from './chat.js';
import { AuthState, AuthType, KeyAuthType, LoginErrorReason, LoginMethod, ModelRef } from './common.js';

export const AuthDidChange = z.object({
  method: LoginMethod,
  authType: z.optional(AuthType),
  envKey: z.optional(z.string()),
  state: AuthState,
  loginId: z.optional(z.string()),
  reason: z.optional(LoginErrorReason),
  message: z.optional(z.string()),
  expiresAt: z.optional(z.string()),
  /** The provider's last word on this credential (auth/status `verified`) (v2). */
  verified: z.optional(z.boolean()),
});
export type AuthDidChange = z.infer<typeof AuthDidChange>;

export const ModelDidChange = z.object({ selected: z.nullable(ModelRef) });
export type ModelDidChange = z.infer<typeof ModelDidChange>;

export const ConfigDidChange = z.object({ paths: z.array(z.string()) });
export type ConfigDidChange = z.infer<typeof ConfigDidChange>;

const Position = z.object({ line: z.number(), character: z.number() });
export const LspDiagnostic = z.object({
  range: z.object({ start: Position, end: Position }),
  severity: z.int().check(z.minimum(1), z.maximum(4)),
  source: z.string(),
  message: z.string(),
  code: z.optional(z.string()),
});
export const PublishDiagnostics = z.object({ uri: z.string(), diagnostics: z.array(LspDiagnostic) });
export type PublishDiagnostics = z.infer<typeof PublishDiagnostics>;

export const ShowDocumentParams = z.object({ uri: z.string(), external: z.optional(z.boolean()) });

/** Server → client notifications, with their schemas. */
export const Notifications = {
  'auth/didChange': AuthDidChange,
  'model/didChange': ModelDidChange,
  'config/didChange': ConfigDidChange,
  'textDocument/publishDiagnostics': PublishDiagnostics,
  'chat/didUpdate': ChatDidUpdate,
} as const;
export type NotificationName = keyof typeof Notifications;

export { KeyAuthType };
