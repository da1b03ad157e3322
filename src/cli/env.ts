import type { CliArgs } from './args.js';
import { chooseModel, type Credential, credentialFor, openSession, report, safe, type Session } from './handover.js';
import { formatVariables } from './shell-quote.js';
import { replacedNames, type Variables, variablesFor } from './variables.js';

/** The model's variables, and what a person should know about them (for stderr, never stdout). */
export async function handOver(s: Session, args: CliArgs): Promise<{ vars: Variables; notes: string[]; credential: Credential }> {
  const model = chooseModel(s.graph, args);
  const credential = await credentialFor(s, model);
  const vars = variablesFor(credential);
  const replaced = replacedNames(vars, process.env);
  const notes = [
    // What the selection fell back on, as `status` shows it.
    ...(args.model === undefined ? s.graph.selectionWarnings : []),
    ...credential.notes,
    ...(replaced.length > 0 ? [`${replaced.join(', ')} ${replaced.length > 1 ? 'are' : 'is'} set in this environment to another value, which ${model.id}'s replaces`] : []),
  ];
  return { vars, notes, credential };
}

export function writeNotes(s: Session, notes: string[]): void {
  for (const n of notes) process.stderr.write(safe(s, `qwen-agent-server: note: ${n}\n`));
}

/** `env`: the variables, for `eval`, `source`, a JSON reader or a `.env` file. */
export async function runEnv(args: CliArgs): Promise<number> {
  let s: Session | undefined;
  try {
    s = await openSession(args);
    const { vars, notes } = await handOver(s, args);
    const text = formatVariables(vars, args.format);
    writeNotes(s, notes);
    process.stdout.write(text);
    return 0;
  } catch (err) {
    report(s, err);
    return 1;
  } finally {
    s?.dispose();
  }
}
