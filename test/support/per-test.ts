import { afterEach, beforeEach } from 'node:test';
import { makeSandbox, type Sandbox } from './sandbox.js';
import { type StartOptions, startServer, type TestServer } from './server.js';

export interface PerTest {
  /** This test's sandbox (a fresh temporary HOME and project). */
  readonly sb: Sandbox;
  /** Servers started with `start` are shut down after the test. */
  readonly servers: TestServer[];
  start(opts?: StartOptions): Promise<TestServer>;
}

/**
 * A fresh sandbox for every test of the file, and every server started in
 * it closed afterwards. `check` runs on each server before it is closed
 * (leak checks).
 */
export function sandboxPerTest(check?: (srv: TestServer) => void | Promise<void>): PerTest {
  let sb: Sandbox | undefined;
  const servers: TestServer[] = [];
  beforeEach(async () => {
    sb = await makeSandbox();
  });
  afterEach(async () => {
    const all = servers.splice(0);
    await Promise.all(all.map((s) => s.close()));
    if (check) for (const s of all) await check(s);
    await sb?.cleanup();
  });
  return {
    get sb() {
      if (!sb) throw new Error('the sandbox exists only inside a test');
      return sb;
    },
    servers,
    async start(opts) {
      const s = await startServer(this.sb, opts);
      servers.push(s);
      return s;
    },
  };
}
