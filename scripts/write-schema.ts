/**
 * Writes the protocol's and settings.json's JSON Schemas into schema/ from the
 * zod schemas, so that the two can never disagree. `--check` fails when the
 * checked-in files are stale.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { z } from 'zod';
import { ModelConfig, Settings } from '../src/config/settings-schema.js';
import { InitializationOptions, Notifications, PROTOCOL_VERSION, Requests } from '../src/protocol/index.js';

const toSchema = (s: z.ZodType) => z.toJSONSchema(s, { io: 'input', unrepresentable: 'any', target: 'draft-2020-12' });
const defName = (method: string) => method.replace(/\//g, '_');

function protocolSchema(): Record<string, unknown> {
  const defs: Record<string, unknown> = { InitializationOptions: toSchema(InitializationOptions) };
  for (const [method, { params, result }] of Object.entries(Requests)) {
    defs[`${defName(method)}.params`] = { ...toSchema(params), description: `params of the ${method} request` };
    defs[`${defName(method)}.result`] = { ...toSchema(result), description: `result of the ${method} request` };
  }
  for (const [method, params] of Object.entries(Notifications)) {
    defs[`${defName(method)}.notification`] = { ...toSchema(params), description: `params of the ${method} notification (server to client)` };
  }
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    title: 'qwen-agent-server protocol',
    description: `The wire contract of qwen-agent-server, protocol version ${PROTOCOL_VERSION}: params and results of every request and notification. See docs/protocol.md.`,
    protocolVersion: PROTOCOL_VERSION,
    $defs: defs,
  };
}

const DESCRIPTIONS: Record<string, string> = {
  model: 'The model Qwen Code and qwen-agent-server start with.',
  'model.name': 'The selected model id (written by model/select, /model).',
  security: 'Authentication and folder trust.',
  'security.auth.selectedType': 'The active auth type: qwen-oauth, openai, anthropic, gemini or vertex-ai.',
  'security.folderTrust.enabled': 'When true, an untrusted folder\'s settings are not applied (read from user and system settings only).',
  env: 'Environment variables applied last, only to names not set elsewhere. Never put keys here: use a .env file.',
  'advanced.excludedEnvVars': 'Names not loaded from a project .env file (default DEBUG, DEBUG_MODE).',
  codingPlan: 'Written by a Coding Plan login.',
  modelProviders: 'Models per protocol (openai, anthropic, gemini, vertex-ai); each list replaces a lower scope\'s list for that protocol.',
};

function describe(schema: Record<string, unknown>, path: string[] = []): void {
  const props = schema.properties as Record<string, Record<string, unknown>> | undefined;
  if (!props) return;
  for (const [k, v] of Object.entries(props)) {
    const p = [...path, k];
    const d = DESCRIPTIONS[p.join('.')];
    if (d) v.description = d;
    describe(v, p);
  }
}

function settingsSchema(): Record<string, unknown> {
  const s = toSchema(Settings) as Record<string, unknown>;
  describe(s);
  const model = toSchema(ModelConfig) as Record<string, unknown>;
  const mp = model.properties as Record<string, Record<string, unknown>>;
  mp.id!.description = 'Sent to the API as the model name.';
  mp.envKey!.description = 'The environment variable that holds this model\'s key (never the key itself).';
  mp.baseUrl!.description = 'The API endpoint; openai defaults to https://api.openai.com/v1.';
  (s.properties as Record<string, Record<string, unknown>>).modelProviders!.additionalProperties = { type: 'array', items: model };
  return {
    ...s,
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    title: 'Qwen Code settings.json (the parts qwen-agent-server reads)',
    description: 'Shared by Qwen Code and qwen-agent-server; other keys are allowed and kept.',
  };
}

const files: [string, Record<string, unknown>][] = [
  ['schema/protocol.schema.json', protocolSchema()],
  ['schema/settings.schema.json', settingsSchema()],
];
const check = process.argv.includes('--check');
let stale = false;
for (const [path, schema] of files) {
  const text = `${JSON.stringify(schema, null, 2)}\n`;
  if (!check) {
    writeFileSync(path, text);
    continue;
  }
  let current = '';
  try {
    current = readFileSync(path, 'utf8');
  } catch {
    // Missing counts as stale.
  }
  if (current !== text) {
    console.error(`${path} is stale: run npm run schema`);
    stale = true;
  }
}
process.exit(stale ? 1 : 0);
