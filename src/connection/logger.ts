import { appendFileSync } from 'node:fs';
import { scrub } from '../protocol/redact.js';

export type LogLevel = 'error' | 'warn' | 'info' | 'debug';

export interface LogSink {
  (level: LogLevel, line: string): void;
}

/**
 * Every log line passes through here: it is scrubbed of every secret the
 * server knows of before it reaches the client or the log file.
 */
export class Logger {
  private secrets: () => Iterable<string> = () => [];
  private sinks: LogSink[] = [];

  constructor(private readonly file?: string) {}

  knowSecrets(fn: () => Iterable<string>): void {
    this.secrets = fn;
  }

  addSink(sink: LogSink): void {
    this.sinks.push(sink);
  }

  log(level: LogLevel, message: string): void {
    const line = scrub(message, this.secrets());
    for (const s of this.sinks) s(level, line);
    if (this.file) {
      try {
        appendFileSync(this.file, `${new Date().toISOString()} [${level}] ${line}\n`, { mode: 0o600 });
      } catch {
        // A log file we cannot write must not take the server down.
      }
    }
  }

  error(m: string): void {
    this.log('error', m);
  }
  warn(m: string): void {
    this.log('warn', m);
  }
  info(m: string): void {
    this.log('info', m);
  }
}
