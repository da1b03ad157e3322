import { type CancellationToken, ErrorCodes, ResponseError } from 'vscode-jsonrpc/node';
import * as z from 'zod/mini';
import {
  InvalidParamsError,
  type ParamsOf,
  type RequestName,
  Requests,
  type ResultOf,
  RpcErrorCode,
  ServerError,
  STATE_CHANGING_METHODS,
  scrubValue,
} from '../protocol/index.js';
import type { Handle } from './dispatch.js';
import { type Encoded, isEncoded } from './encoded.js';
import type { Logger } from './logger.js';

type Answer<M extends RequestName> = ResultOf<M> | Encoded<ResultOf<M>>;
/** What a handler may tell the router about its own request. */
export interface RequestControl {
  /**
   * A change that is about to wait for the network before it changes
   * anything (a key login's check) lets the requests that came after it run
   * meanwhile: they see the state as it is, which it still is. Later changes
   * still wait for it. Does nothing for a request that is not a change.
   */
  readsMayPass(): void;
}
export type Handler<M extends RequestName> = (params: ParamsOf<M>, token: CancellationToken, ctl?: RequestControl) => Promise<Answer<M>> | Answer<M>;
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
 * The order PROTOCOL.md promises: changes apply in the order they arrive,
 * each answer describes what its own request did. A change starts once every
 * change before it is done. Any other request waits for the changes that
 * arrived before it, then runs holding up nothing, so a slow network call
 * (model/test, model/list {refresh}) never delays a change. What it reads
 * before its first await is exactly the state those changes made.
 */
class ArrivalOrder {
  private lastChange: Promise<unknown> = Promise.resolve();
  /** What any other request waits for: the last change done, or past the point where it said reads may pass. */
  private readable: Promise<unknown> = Promise.resolve();

  // Both wait on the same promise, so their work starts in the order they arrived.
  change<T>(work: (readsMayPass: () => void) => Promise<T>): Promise<T> {
    let pass!: () => void;
    const passed = new Promise<void>((resolve) => (pass = resolve));
    const run = this.lastChange.then(() => work(pass));
    this.lastChange = run.catch(() => undefined);
    this.readable = Promise.race([this.lastChange, passed]);
    return run;
  }

  other<T>(work: () => Promise<T>): Promise<T> {
    return this.readable.then(work);
  }
}

const NO_CONTROL: RequestControl = { readsMayPass: () => undefined };

/**
 * Methods that answer a cancelled request with what they did until then
 * instead of -32800 (PROTOCOL.md: chat/send's partial text, `stopReason: "cancelled"`).
 */
const PARTIAL_WHEN_CANCELLED: ReadonlySet<string> = new Set(['chat/send']);

/** The last pass over every answer: no known secret, and no URL's password, leaves whole. */
function scrubAnswer(answer: unknown, secrets: () => Iterable<string>): unknown {
  // An encoded answer was scrubbed when it was encoded (handlers/model.ts).
  if (isEncoded(answer)) return answer;
  if (answer instanceof ResponseError) {
    const known = [...secrets()];
    return new ResponseError(answer.code, scrubValue(answer.message, known), scrubValue(answer.data, known));
  }
  return scrubValue(answer, secrets());
}

/**
 * The work behind every request: zod validation of params (-32602 with the
 * issues), the order of arrival, the handler, cancellation (-32800), error
 * mapping, and the last redaction pass. `secrets` are the values the server
 * knows to be secret (the logger's).
 */
export function createHandle(table: HandlerTable, log: Logger, secrets: () => Iterable<string>): Handle {
  const order = new ArrivalOrder();
  const answer = async (name: string, raw: unknown, token: CancellationToken): Promise<unknown> => {
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
    const cancelled = () => new ResponseError(RpcErrorCode.RequestCancelled, 'request cancelled');
    const work = async (ctl: RequestControl = NO_CONTROL) => {
      // Cancelled while it waited for its turn: nothing of it is applied.
      if (token.isCancellationRequested) return cancelled();
      try {
        const result = await handler(parsed.data as never, token, ctl);
        return token.isCancellationRequested && !PARTIAL_WHEN_CANCELLED.has(method) ? cancelled() : result;
      } catch (err) {
        return toResponseError(err, log, method);
      }
    };
    return STATE_CHANGING_METHODS.has(method) ? order.change((readsMayPass) => work({ readsMayPass })) : order.other(() => work());
  };
  return async (name, raw, token) => scrubAnswer(await answer(name, raw, token), secrets);
}
