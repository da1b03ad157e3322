import type { Writable } from 'node:stream';
import { AbstractMessageWriter, type Message, type MessageWriter } from 'vscode-jsonrpc/node';
import { messageBody } from './encoded.js';

/**
 * LSP framing onto a stream, one `writev` per message. Unlike vscode-jsonrpc's
 * StreamMessageWriter it sends an encoded result's bytes as they are,
 * without copying them into a new buffer for every answer.
 */
export class FrameWriter extends AbstractMessageWriter implements MessageWriter {
  private errors = 0;

  constructor(private readonly out: Writable) {
    super();
    out.on('error', (err) => this.fireError(err));
    out.on('close', () => this.fireClose());
  }

  write(msg: Message): Promise<void> {
    let body: Buffer[];
    try {
      body = messageBody(msg);
    } catch (err) {
      this.fireError(err, msg, ++this.errors);
      return Promise.reject(err);
    }
    const length = body.reduce((n, b) => n + b.byteLength, 0);
    return new Promise((resolve, reject) => {
      this.out.cork();
      this.out.write(`Content-Length: ${length}\r\n\r\n`, 'ascii');
      for (let i = 0; i < body.length - 1; i++) this.out.write(body[i]);
      this.out.write(body[body.length - 1], (err) => {
        if (!err) return resolve();
        this.fireError(err, msg, ++this.errors);
        reject(err);
      });
      this.out.uncork();
    });
  }

  end(): void {
    this.out.end();
  }
}
