import {
  AbstractMessageReader,
  type DataCallback,
  Disposable,
  IPCMessageReader,
  type Message,
  type MessageReader,
} from 'vscode-languageserver/node';
import { FrameParser, MAX_BODY } from './frame-parser.js';
import { checkMessage, PARSE_ERROR, type Rejection, tooLarge } from './incoming.js';

/** What a reader needs besides the connection: a way to answer what it refuses, and a log. */
export interface ReaderHooks {
  /** Sends an error answer straight to the client. */
  reject(r: Rejection): void;
  /** A warning for the log: the reason only, never the bytes. */
  dropped(reason: string): void;
}

/**
 * Messages from a byte stream (stdin, a socket, a pipe) with LSP framing,
 * through FrameParser: bad framing is dropped and logged, a body that is not
 * a JSON-RPC message is answered with an error, and reading goes on.
 */
export class FrameReader extends AbstractMessageReader implements MessageReader {
  private callback: DataCallback | undefined;
  private readonly parser: FrameParser;

  constructor(
    private readonly input: NodeJS.ReadableStream,
    hooks: ReaderHooks,
  ) {
    super();
    this.parser = new FrameParser({
      value: (v) => {
        const checked = checkMessage(v);
        if ('rejection' in checked) hooks.reject(checked.rejection);
        else this.callback?.(checked.message);
      },
      notJson: () => hooks.reject(PARSE_ERROR),
      tooLarge: (id) => hooks.reject(tooLarge(id, MAX_BODY)),
      dropped: hooks.dropped,
    });
    input.on('error', (err: Error) => this.fireError(err));
    input.on('end', () => this.fireClose());
    input.on('close', () => this.fireClose());
  }

  listen(callback: DataCallback): Disposable {
    this.callback = callback;
    const onData = (chunk: Buffer) => this.parser.push(chunk);
    this.input.on('data', onData);
    return Disposable.create(() => {
      this.callback = undefined;
      this.input.off('data', onData);
    });
  }
}

/**
 * vscode-languageserver's reader for `--node-ipc`, with the same check of
 * each message; the parent going away (the channel closing) ends it.
 */
export class IpcReader extends IPCMessageReader {
  constructor(
    proc: NodeJS.Process,
    private readonly hooks: ReaderHooks,
  ) {
    super(proc);
    proc.on('disconnect', () => this.fireClose());
  }

  override listen(callback: DataCallback): Disposable {
    return super.listen((value: unknown) => {
      const checked = checkMessage(value);
      if ('rejection' in checked) this.hooks.reject(checked.rejection);
      else callback(checked.message as Message);
    });
  }
}
