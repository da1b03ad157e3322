import * as z from 'zod/mini';

/** Standard JSON-RPC and LSP codes. */
export const RpcErrorCode = {
  ParseError: -32700,
  InvalidRequest: -32600,
  MethodNotFound: -32601,
  InvalidParams: -32602,
  InternalError: -32603,
  ServerNotInitialized: -32002,
  RequestCancelled: -32800,
} as const;

/** The server's own errors: a stable `data.code` string and a number. */
export const ServerErrorCode = {
  ConfigInvalid: -33001,
  ModelNotFound: -33002,
  AmbiguousModel: -33003,
  CredentialMissing: -33004,
  CredentialNotOwned: -33005,
  LoginFailed: -33006,
  ProviderError: -33007,
  WorkspaceUntrusted: -33008,
  WriteConflict: -33009,
  WriteFailed: -33010,
  ChatNotFound: -33011,
} as const;
export type ServerErrorName = keyof typeof ServerErrorCode;

export const ServerErrorData = z.looseObject({
  code: z.string(),
  hint: z.optional(z.string()),
  status: z.optional(z.number()),
  path: z.optional(z.string()),
  /**
   * WriteFailed: why the system refused: `read-only`, `permission-denied`,
   * `is-a-directory`, `not-a-directory`, `not-a-regular-file`, `no-space`,
   * `symlink-loop`, else the system's error code (`EIO`, …).
   */
  reason: z.optional(z.string()),
  candidates: z.optional(z.array(z.unknown())),
  issues: z.optional(z.array(z.unknown())),
});
export type ServerErrorData = z.infer<typeof ServerErrorData>;

/**
 * An error meant for the person at the other end: its message says what
 * happened and, with `hint`, what to do. Never put a secret in either.
 */
export class ServerError extends Error {
  override readonly name = 'ServerError';
  readonly code: ServerErrorName;
  readonly data: ServerErrorData;

  constructor(code: ServerErrorName, message: string, extra: Omit<ServerErrorData, 'code'> = {}) {
    super(message);
    this.code = code;
    this.data = { code, ...extra };
  }

  get number(): number {
    return ServerErrorCode[this.code];
  }
}

/** Bad params from the client: -32602 with the reason. */
export class InvalidParamsError extends Error {
  override readonly name = 'InvalidParamsError';
  constructor(
    message: string,
    readonly issues: unknown[] = [],
  ) {
    super(message);
  }
}
