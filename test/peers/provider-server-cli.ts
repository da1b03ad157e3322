/**
 * Starts the loopback provider server for tests in other processes (editor
 * clients) and prints one JSON line on stdout: `{"url":"http://127.0.0.1:PORT/v1","origin":"http://127.0.0.1:PORT"}`.
 * Runs until SIGTERM / SIGINT, or until stdin closes when `--exit-on-stdin-end` is given.
 *
 *   node --import tsx test/peers/provider-server-cli.ts [--key KEY]... [--exit-on-stdin-end]
 *
 * With `--key`, only those keys are accepted; otherwise any non-empty key is.
 */
import { parseArgs } from 'node:util';
import { startProviderServer } from './provider-server.js';

const { values } = parseArgs({
  options: {
    key: { type: 'string', multiple: true },
    'exit-on-stdin-end': { type: 'boolean', default: false },
  },
  strict: true,
});

const server = await startProviderServer(values.key && values.key.length > 0 ? { keys: values.key } : {});
process.stdout.write(`${JSON.stringify({ url: server.url, origin: server.origin })}\n`);

let closing = false;
async function stop(): Promise<void> {
  if (closing) return;
  closing = true;
  await server.close();
  process.exit(0);
}
process.on('SIGTERM', () => void stop());
process.on('SIGINT', () => void stop());
if (values['exit-on-stdin-end']) {
  // A parent that dies without killing us closes our stdin: don't outlive it.
  process.stdin.on('end', () => void stop());
  process.stdin.resume();
}
