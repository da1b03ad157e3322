import { createConnection as connectSocket } from 'node:net';
import { IPCMessageWriter, type Message, type MessageReader, type MessageWriter } from 'vscode-languageserver/node';
import { type TransportChoice, UsageError } from '../cli/args.js';
import { plainMessage } from './encoded.js';
import type { Rejection } from './incoming.js';
import { FrameReader, IpcReader, type ReaderHooks } from './readers.js';
import { FrameWriter } from './writer.js';

export interface Transport {
  reader: MessageReader;
  writer: MessageWriter;
  /** Answers a message with an error, past the connection. */
  reject(r: Rejection): void;
}

/** An IPC message is an object that Node serialises itself: an encoded result goes back to a value. */
class PlainIpcWriter extends IPCMessageWriter {
  override write(msg: Message): Promise<void> {
    return super.write(plainMessage(msg));
  }
}

/**
 * The reader and writer for LSP's transports, as vscode-languageserver's
 * createConnection sets them up from the same flags, with this server's
 * reader (framing that resynchronises) and writer (encoded results sent
 * without a copy) on each byte stream. For `--socket` and `--pipe` the
 * client listens and the server connects, as LSP has it.
 */
export function openTransport(choice: TransportChoice, dropped: (reason: string) => void): Transport {
  const open = (writer: MessageWriter, reader: (hooks: ReaderHooks) => MessageReader): Transport => {
    const reject = (r: Rejection) => void writer.write({ jsonrpc: '2.0', id: r.id, error: { code: r.code, message: r.message } } as Message);
    return { writer, reader: reader({ reject, dropped }), reject };
  };
  if (choice.kind === 'node-ipc') {
    if (typeof process.send !== 'function') throw new UsageError('--node-ipc needs a parent process that gave it an IPC channel');
    return open(new PlainIpcWriter(process), (h) => new IpcReader(process, h));
  }
  if (choice.kind === 'stdio') return open(new FrameWriter(process.stdout), (h) => new FrameReader(process.stdin, h));
  const socket = choice.kind === 'socket' ? connectSocket(choice.port, '127.0.0.1') : connectSocket(choice.name);
  socket.once('error', (err) => {
    const where = choice.kind === 'socket' ? `port ${choice.port}` : choice.name;
    process.stderr.write(`qwen-agent-server: the connection to the client at ${where} failed: ${err.message}\n`);
  });
  return open(new FrameWriter(socket), (h) => new FrameReader(socket, h));
}
