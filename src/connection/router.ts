import { type CancellationToken, ErrorCodes, ResponseError } from 'vscode-jsonrpc/node';
import * as z from 'zod/mini';
import { InvalidParamsError, type ParamsOf, type RequestName, Requests, type ResultOf, RpcErrorCode, ServerError } from '../protocol/index.js';
import type { Handle } from './dispatch.js';
import type { Encoded } from './encoded.js';
import type { Logger } from './logger.js';

type Answer<M extends RequestName> = ResultOf<M> | Encoded<ResultOf<M>>;
export type Handler<M extends RequestName> = (params: ParamsOf<M>, token: CancellationToken) => Promise<Answer<M>> | Answer<M>;
export type HandlerTable = { [M in RequestName]?: Handler<M> };

/** Turns whatever a handler threw into the JSON-RPC error the client sees, without secrets or stacks. */
export function toResponseError(err: unknown, log: Logger, method: string): ResponseError<unknown> {
  if (err instanceof ResponseError) return err;
  if (err instanceof ServerError) return new ResponseError(err.number, err.message, err.data);
  if (err instanceof InvalidParamsError) return new ResponseError(ErrorCodes.InvalidParams, err.message, { issues: err.issues });
  log.error(`${method} failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  return new ResponseError(ErrorCodes.InternalError, `internal error in ${method}; details are in the server log`);
}

function describeIssues(issues: z.core.$ZodIssue[]): string {
  return issues
    .slice(0, 3)
    .map((i) => `${i.path.length > 0 ? i.path.join('.') : 'params'}: ${i.message}`)
    .join('; ');
}

/**
 * The work behind every request: zod validation of params (-32602 with the
 * issues), the handler, cancellation (-32800) and error mapping.
 */
export function createHandle(table: HandlerTable, log: Logger): Handle {
  return async (name, raw, token) => {
    const method = name as RequestName;
    const handler = table[method] as Handler<RequestName> | undefined;
    if (!handler) return new ResponseError(ErrorCodes.MethodNotFound, `${name} is not available in this server version`);
    const parsed = Requests[method].params.safeParse(raw);
    if (!parsed.success) {
      // zod issues carry the received values: never echo them (they may be keys).
      const issues = parsed.error.issues.map((i) => ({ path: i.path.map(String), code: i.code, message: i.message }));
      return new ResponseError(ErrorCodes.InvalidParams, `invalid params for ${method}: ${describeIssues(parsed.error.issues)}`, {
        code: 'InvalidParams',
        issues,
      });
    }
    try {
      const result = await handler(parsed.data as never, token);
      if (token.isCancellationRequested) return new ResponseError(RpcErrorCode.RequestCancelled, 'request cancelled');
      return result;
    } catch (err) {
      return toResponseError(err, log, method);
    }
  };
}
