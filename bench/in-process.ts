/**
 * model/list built inside this process, from the server's own sources: the
 * view of the graph plus its encoding, the work a model/list does after the
 * config changed (unchanged, the server sends the answer it encoded before).
 * Without the pipe and without a client parsing the answer.
 */
import type { Message } from 'vscode-jsonrpc/node';
import { encodeResult, messageBody } from '../src/connection/encoded.js';
import { Logger } from '../src/connection/logger.js';
import { createServices } from '../src/handlers/index.js';
import { modelListView } from '../src/handlers/views.js';

export async function modelListInProcess(env: NodeJS.ProcessEnv, cwd: string, warmup: number, runs: number): Promise<number[]> {
  const services = await createServices({
    processEnv: env,
    cwd,
    overrides: {},
    log: new Logger(),
    notifier: { notify: () => {} },
    canShowDocument: false,
    showDocument: () => {},
  });
  const times: number[] = [];
  try {
    for (let i = 0; i < warmup + runs; i++) {
      const t0 = performance.now();
      messageBody({ jsonrpc: '2.0', id: i, result: encodeResult(modelListView(services.state.graph)) } as Message);
      if (i >= warmup) times.push(performance.now() - t0);
    }
  } finally {
    await services.dispose();
  }
  return times;
}
