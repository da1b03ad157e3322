import type { CliArgs } from './args.js';
import { openSession, report, type Session } from './handover.js';

/** `token`: the Qwen OAuth access token and nothing else, as `gh auth token` prints its own. */
export async function runToken(args: CliArgs): Promise<number> {
  let s: Session | undefined;
  try {
    s = await openSession(args);
    const t = await s.oauthToken();
    process.stdout.write(`${t.accessToken}\n`);
    return 0;
  } catch (err) {
    report(s, err);
    return 1;
  } finally {
    s?.dispose();
  }
}
