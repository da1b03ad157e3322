/**
 * model/list answered inside this process, from the server's own sources:
 * the handler plus the JSON.stringify that the connection does, without the
 * pipe and without a client parsing the answer.
 */
import { Logger } from '../src/connection/logger.js';
import { createServices } from '../src/handlers/index.js';

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
  const token = { isCancellationRequested: false, onCancellationRequested: () => ({ dispose() {} }) };
  const list = services.handlers['model/list']!;
  const times: number[] = [];
  try {
    for (let i = 0; i < warmup + runs; i++) {
      const t0 = performance.now();
      JSON.stringify(await list({}, token as never));
      if (i >= warmup) times.push(performance.now() - t0);
    }
  } finally {
    await services.dispose();
  }
  return times;
}
