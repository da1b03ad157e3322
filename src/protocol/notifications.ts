import { z } from 'zod';
import { AuthState, AuthType, KeyAuthType, LoginErrorReason, LoginMethod, ModelRef } from './common.js';

export const AuthDidChange = z.object({
  method: LoginMethod,
  authType: AuthType.optional(),
  envKey: z.string().optional(),
  state: AuthState,
  loginId: z.string().optional(),
  reason: LoginErrorReason.optional(),
  message: z.string().optional(),
  expiresAt: z.string().optional(),
});
export type AuthDidChange = z.infer<typeof AuthDidChange>;

export const ModelDidChange = z.object({ selected: ModelRef.nullable() });
export type ModelDidChange = z.infer<typeof ModelDidChange>;

export const ConfigDidChange = z.object({ paths: z.array(z.string()) });
export type ConfigDidChange = z.infer<typeof ConfigDidChange>;

const Position = z.object({ line: z.number(), character: z.number() });
export const LspDiagnostic = z.object({
  range: z.object({ start: Position, end: Position }),
  severity: z.number().int().min(1).max(4),
  source: z.string(),
  message: z.string(),
  code: z.string().optional(),
});
export const PublishDiagnostics = z.object({ uri: z.string(), diagnostics: z.array(LspDiagnostic) });
export type PublishDiagnostics = z.infer<typeof PublishDiagnostics>;

export const ShowDocumentParams = z.object({ uri: z.string(), external: z.boolean().optional() });

/** Server → client notifications, with their schemas. */
export const Notifications = {
  'auth/didChange': AuthDidChange,
  'model/didChange': ModelDidChange,
  'config/didChange': ConfigDidChange,
  'textDocument/publishDiagnostics': PublishDiagnostics,
} as const;
export type NotificationName = keyof typeof Notifications;

export { KeyAuthType };
