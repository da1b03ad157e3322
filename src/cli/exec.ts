import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { constants } from 'node:os';
import { resolve } from 'node:path';
import type { CliArgs } from './args.js';
import { handOver, writeNotes } from './env.js';
import { openSession, report, type Session } from './handover.js';

/** What `exec` exits with when it hands nothing over (as env(1) does): the command's own statuses stay its own. */
export const EXEC_REFUSED = 125;
const FORWARDED = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/**
 * `exec -- CMD ARGS`: CMD runs with the model's variables added to this
 * environment, in the project folder, with this process's stdio; the
 * credential travels in the environment only, never in an argument.
 */
export async function runExec(args: CliArgs): Promise<number> {
  let s: Session | undefined;
  let env: NodeJS.ProcessEnv;
  try {
    s = await openSession(args);
    const { vars, notes } = await handOver(s, args);
    writeNotes(s, notes);
    env = { ...process.env, ...Object.fromEntries(vars) };
  } catch (err) {
    report(s, err);
    return EXEC_REFUSED;
  } finally {
    s?.dispose();
  }
  return run(args.exec, env, resolve(args.cwd ?? process.cwd()));
}

/** The command's exit status, 128 + the signal's number when one ended it, 126/127 when it could not start. */
function run(command: string[], env: NodeJS.ProcessEnv, cwd: string): Promise<number> {
  const [file, ...rest] = command as [string, ...string[]];
  return new Promise((done) => {
    let settled = false;
    const child = spawn(file, rest, { stdio: 'inherit', env, cwd });
    // A signal sent to this process alone (kill, a supervisor, an editor) must reach CMD too;
    // a Ctrl-C typed in the terminal already reaches it, as it does every process of the group.
    const forward = (sig: NodeJS.Signals) => {
      if (sig === 'SIGINT' && inForegroundOfTerminal()) return;
      if (child.exitCode === null && child.signalCode === null) child.kill(sig);
    };
    for (const sig of FORWARDED) process.on(sig, forward);
    const finish = (status: number) => {
      if (settled) return;
      settled = true;
      for (const sig of FORWARDED) process.off(sig, forward);
      done(status);
    };
    child.on('error', (err: NodeJS.ErrnoException) => {
      // spawn says ENOENT for a missing folder too.
      const noFolder = err.code === 'ENOENT' && !existsSync(cwd);
      const notFound = err.code === 'ENOENT' && !noFolder;
      const why = noFolder ? `the folder ${cwd} does not exist` : notFound ? 'command not found' : `cannot run it (${err.code ?? err.message})`;
      process.stderr.write(`qwen-agent-server: ${file}: ${why}\n`);
      finish(notFound ? 127 : 126);
    });
    child.on('exit', (code, signal) => finish(signal ? 128 + (constants.signals[signal] ?? 0) : (code ?? 1)));
  });
}

/**
 * Whether this process's group is its terminal's foreground group (Linux's
 * /proc/self/stat: pgrp and tpgid), where the terminal sends SIGINT to CMD,
 * which shares the group, by itself. Elsewhere (no terminal, a background
 * job, no /proc) SIGINT is forwarded.
 */
function inForegroundOfTerminal(): boolean {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    // After "pid (comm) ": state ppid pgrp session tty_nr tpgid …; comm may hold spaces and parentheses.
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const pgrp = Number(f[2]);
    const tpgid = Number(f[5]);
    return tpgid > 0 && tpgid === pgrp;
  } catch {
    return false;
  }
}
