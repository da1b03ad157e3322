/**
 * Writes the protocol's and settings.json's JSON Schemas into schema/ from the
 * zod schemas, so that the two can never disagree. `--check` writes nothing
 * and exits 1 when a checked-in file differs from what would be written.
 *
 * Run: npm run schema            (write)
 *      tsx scripts/write-schema.ts --check
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as z from 'zod/mini';
import { MODEL_PROVIDER_KEYS, ModelConfig, Settings } from '../src/config/settings-schema.js';
import {
  InitializationOptions,
  InitializeParams,
  InitializeResult,
  Notifications,
  PROTOCOL_VERSION,
  Requests,
} from '../src/protocol/index.js';

type Json = Record<string, unknown>;
type Props = Record<string, Json>;

const DRAFT = 'https://json-schema.org/draft/2020-12/schema';

/**
 * The JSON Schema of what a client or an editor may *send* (`io: 'input'`):
 * `z.preprocess` is shown as its inner schema, `.passthrough()` objects as
 * `additionalProperties: {}`. Refinements zod cannot express become `{}`.
 * Each piece is a subschema of a larger document, so it loses its `$schema`.
 */
function toSchema(s: z.core.$ZodType): Json {
  const { $schema: _drop, ...rest } = z.toJSONSchema(s, { io: 'input', unrepresentable: 'any', target: 'draft-2020-12' }) as Json;
  return rest;
}

const defName = (method: string) => method.replace(/\//g, '_');

function protocolSchema(): Json {
  const defs: Json = {
    InitializationOptions: {
      ...toSchema(InitializationOptions),
      description:
        'initialize params.initializationOptions: the per-process equivalents of the CLI flags (a flag wins over the same key).',
    },
    'initialize.params': {
      ...toSchema(InitializeParams),
      description: 'The parts of LSP InitializeParams that the server reads; everything else is allowed and ignored.',
    },
    'initialize.result': {
      ...toSchema(InitializeResult),
      description: 'The initialize answer; capabilities.experimental.qwenAgent lists the protocol version, methods and notifications.',
    },
  };
  for (const [method, { params, result }] of Object.entries(Requests)) {
    defs[`${defName(method)}.params`] = { ...toSchema(params), description: `params of the ${method} request` };
    defs[`${defName(method)}.result`] = { ...toSchema(result), description: `result of the ${method} request` };
  }
  for (const [method, params] of Object.entries(Notifications)) {
    defs[`${defName(method)}.notification`] = {
      ...toSchema(params),
      description: `params of the ${method} notification (server to client)`,
    };
  }
  return {
    $schema: DRAFT,
    title: 'qwen-agent-server protocol',
    description:
      `The wire contract of qwen-agent-server, protocol version ${PROTOCOL_VERSION}: JSON-RPC 2.0 over stdio with LSP framing. ` +
      'One definition per request params and result (`<method with / as _>.params` / `.result`), per server-to-client ' +
      'notification (`.notification`), and for initialize. Generated from the zod schemas in src/protocol by npm run schema; ' +
      'see docs/protocol.md.',
    protocolVersion: PROTOCOL_VERSION,
    $defs: defs,
  };
}

/** Descriptions of settings keys, by dotted path from the root. */
const SETTINGS_DESCRIPTIONS: Record<string, string> = {
  $version: 'The settings file format version, written by Qwen Code.',
  model: 'The model Qwen Code and qwen-agent-server start with.',
  'model.name':
    'The selected model id (written by model/select and Qwen Code\'s /model). Looked up among the models of security.auth.selectedType.',
  security: 'Authentication and folder trust.',
  'security.auth': 'How Qwen Code and qwen-agent-server authenticate.',
  'security.auth.selectedType':
    'The active auth type: qwen-oauth, or the modelProviders key (openai, anthropic, gemini, vertex-ai) of the selected model.',
  'security.folderTrust': 'Folder trust; read from user and system settings only.',
  'security.folderTrust.enabled':
    'When true, the settings and .env files of a folder that is not trusted are not applied (default false: every folder is trusted).',
  env:
    'Environment variables, lowest precedence: each applies only when the process environment and the .env file leave the name unset. ' +
    'Never put API keys here: keep them in a .env file.',
  advanced: 'Advanced options.',
  'advanced.excludedEnvVars':
    'Names not loaded from a project-level .env file (default ["DEBUG", "DEBUG_MODE"]; a list replaces the default). Files in a .qwen folder and the home .env files are exempt.',
  codingPlan: 'Written by a Coding Plan (Alibaba Cloud Bailian) login.',
  'codingPlan.region': 'The Coding Plan endpoint region.',
  'codingPlan.version': 'The version of the Coding Plan model list that was written under modelProviders.openai.',
  modelProviders:
    'Configured models per protocol (openai, openai-responses, anthropic, gemini, vertex-ai). Each list replaces a lower scope\'s list for that key; keys only a lower scope defines survive.',
};

const MODEL_DESCRIPTIONS: Record<string, string> = {
  '': 'A configured model.',
  id: 'Sent to the API as the model name. Required.',
  name: 'The name shown in model pickers (default: id).',
  description: 'A line shown next to the model in pickers.',
  envKey:
    'The environment variable that holds this model\'s key (never the key itself), looked up in the process environment, the .env file and settings env. Defaults by protocol: OPENAI_API_KEY, ANTHROPIC_API_KEY, GEMINI_API_KEY, GOOGLE_API_KEY.',
  baseUrl: 'The API endpoint (openai default https://api.openai.com/v1).',
  capabilities: 'What the model supports, as Qwen Code reads it.',
  wireApi:
    'openai and openai-responses entries only: "responses" makes the model an openai-responses one (the OpenAI Responses API), "chat-completions" an openai one. Qwen Code refuses to start on any other value.',
  generationConfig: 'Request options Qwen Code sends with this model.',
  'generationConfig.timeout': 'Request timeout in milliseconds (default 120000).',
  'generationConfig.maxRetries': 'Retries of a failed request (default 3).',
  'generationConfig.samplingParams': 'Sampling parameters sent with every request (temperature, top_p, max_tokens, …).',
  'generationConfig.customHeaders': 'Extra HTTP headers sent with every request.',
  'generationConfig.extra_body': 'Extra fields merged into every request body.',
  'generationConfig.contextWindowSize': 'The context window in tokens.',
};

/** Keywords first, in this order, so that a reader sees what a schema is before its parts. */
const KEYWORD_ORDER = ['$schema', '$id', '$ref', 'title', 'description', 'type', 'const', 'enum', 'format', 'pattern'];
/** Keywords whose value maps names chosen by the schema's author to subschemas: keep their order. */
const NAME_MAPS = new Set(['properties', '$defs', 'patternProperties', 'dependentSchemas']);

function ordered(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(ordered);
  if (value === null || typeof value !== 'object') return value;
  const obj = value as Json;
  const keys = [...KEYWORD_ORDER.filter((k) => k in obj), ...Object.keys(obj).filter((k) => !KEYWORD_ORDER.includes(k))];
  const out: Json = {};
  for (const k of keys) {
    const v = obj[k];
    out[k] = NAME_MAPS.has(k) && v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Json).map(([name, sub]) => [name, ordered(sub)]))
      : ordered(v);
  }
  return out;
}

/** Sets `description` on the properties named in `table`, walking nested objects. */
function describe(schema: Json, table: Record<string, string>, path: string[] = []): void {
  const here = table[path.join('.')];
  if (here) schema.description = here;
  const props = schema.properties as Props | undefined;
  if (!props) return;
  for (const [k, v] of Object.entries(props)) describe(v, table, [...path, k]);
}

function settingsSchema(): Json {
  const s = toSchema(Settings);
  describe(s, SETTINGS_DESCRIPTIONS);

  // One ModelConfig definition, offered under each known protocol key (editor
  // completion) and, like the server reads it, under any other key too.
  const model = toSchema(ModelConfig);
  describe(model, MODEL_DESCRIPTIONS);
  const list = { type: 'array', items: { $ref: '#/$defs/ModelConfig' } };
  const props = s.properties as Props;
  props.modelProviders = {
    type: 'object',
    description: props.modelProviders!.description,
    properties: Object.fromEntries(
      MODEL_PROVIDER_KEYS.map((k) => [k, { ...list, description: `Models reached through the ${k} protocol.` }]),
    ),
    additionalProperties: list,
  };

  return {
    $schema: DRAFT,
    title: 'Qwen Code settings.json (the parts qwen-agent-server reads)',
    description:
      'The settings file shared by Qwen Code and qwen-agent-server (~/.qwen/settings.json, <project>/.qwen/settings.json, and the system files). ' +
      'JSON with comments. Only the keys the server reads are described; every other key is allowed and kept. Generated by npm run schema.',
    ...s,
    $defs: { ModelConfig: model },
  };
}

const root = fileURLToPath(new URL('..', import.meta.url));
const files: [string, Json][] = [
  ['schema/protocol.schema.json', protocolSchema()],
  ['schema/settings.schema.json', settingsSchema()],
];
const check = process.argv.includes('--check');
let stale = false;
for (const [path, schema] of files) {
  const text = `${JSON.stringify(ordered(schema), null, 2)}\n`;
  const abs = `${root}${path}`;
  if (!check) {
    writeFileSync(abs, text);
    console.log(`wrote ${path}`);
    continue;
  }
  let current: string | undefined;
  try {
    current = readFileSync(abs, 'utf8');
  } catch {
    // Missing counts as stale.
  }
  if (current !== text) {
    console.error(`${path} is ${current === undefined ? 'missing' : 'stale'}: run npm run schema`);
    stale = true;
  }
}
process.exit(stale ? 1 : 0);
