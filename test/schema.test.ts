import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { stripComments } from 'jsonc-parser';
import { z } from 'zod';
import { Settings } from '../src/config/settings-schema.js';
import { Notifications, PROTOCOL_VERSION, Requests } from '../src/protocol/index.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const read = (p: string) => JSON.parse(readFileSync(new URL(`../${p}`, import.meta.url), 'utf8'));
const defName = (method: string) => method.replace(/\//g, '_');

/** A settings.json as people write it: comments, providers, keys only Qwen Code reads. */
const REALISTIC = `{
  // Written by Qwen Code
  "$version": 2,
  "ui": { "theme": "GitHub", "hideTips": true },
  "general": { "vimMode": false, "checkpointing": { "enabled": true } },
  "mcpServers": { "fs": { "command": "npx", "args": ["-y", "@modelcontextprotocol/server-filesystem", "."] } },
  "model": { "name": "qwen3-coder-plus", "sessionTokenLimit": 32000 },
  "security": {
    "auth": { "selectedType": "openai" },
    "folderTrust": { "enabled": true }
  },
  "env": { "QWEN_MODEL": "qwen3-coder-plus" },
  "advanced": { "excludedEnvVars": ["DEBUG", "DEBUG_MODE", "NODE_ENV"] },
  "codingPlan": { "region": "china", "version": "2026-01" },
  /* One list per protocol; a workspace list replaces the user's. */
  "modelProviders": {
    "openai": [
      {
        "id": "qwen3-coder-plus",
        "name": "Qwen3 Coder Plus (DashScope)",
        "description": "Alibaba Cloud Model Studio, OpenAI-compatible",
        "envKey": "DASHSCOPE_API_KEY",
        "baseUrl": "https://dashscope.aliyuncs.com/compatible-mode/v1",
        "generationConfig": {
          "timeout": 60000,
          "maxRetries": 2,
          "samplingParams": { "temperature": 0.2, "top_p": 0.9, "max_tokens": 8192 },
          "customHeaders": { "X-DashScope-Source": "qwen-code" },
          "extra_body": { "enable_thinking": true },
          "contextWindowSize": 1000000,
          "modalities": { "image": true }
        }
      },
      { "id": "gpt-4.1", "envKey": "OPENAI_API_KEY" },
      { "id": "llama3.1:8b", "baseUrl": "http://127.0.0.1:11434/v1", "capabilities": { "vision": false } }
    ],
    "anthropic": [{ "id": "claude-sonnet-4-5", "envKey": "ANTHROPIC_API_KEY", "baseUrl": "https://api.anthropic.com" }],
    "gemini": [{ "id": "gemini-2.5-pro", "envKey": "GEMINI_API_KEY" }],
    "vertex-ai": [{ "id": "gemini-2.5-flash", "envKey": "GOOGLE_API_KEY" }]
  }
}
`;

describe('checked-in JSON Schemas', () => {
  it('are up to date with the zod schemas (npm run schema)', () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/write-schema.ts', '--check'], { cwd: ROOT, encoding: 'utf8' });
    assert.equal(r.status, 0, `${r.stderr}${r.stdout}`);
  });

  it('the protocol schema has a definition for every request, notification and initializationOptions', () => {
    const s = read('schema/protocol.schema.json');
    assert.equal(s.protocolVersion, PROTOCOL_VERSION);
    assert.ok(s.title && s.description);
    for (const method of Object.keys(Requests)) {
      assert.ok(s.$defs[`${defName(method)}.params`], `${method} params`);
      assert.ok(s.$defs[`${defName(method)}.result`], `${method} result`);
    }
    for (const method of Object.keys(Notifications)) assert.ok(s.$defs[`${defName(method)}.notification`], method);
    assert.ok(s.$defs.InitializationOptions);
  });

  it('the protocol schema validates as the server does (auth/login params)', () => {
    const login = z.fromJSONSchema(read('schema/protocol.schema.json').$defs['auth_login.params']);
    assert.ok(login.safeParse({ method: 'api-key', authType: 'anthropic', apiKey: 'sk-ant-0123456789abcdef' }).success);
    assert.ok(login.safeParse({ method: 'qwen-oauth', openBrowser: false }).success);
    assert.ok(!login.safeParse({ method: 'password', apiKey: 'x' }).success);
  });

  it('the settings schema accepts a realistic settings.json and lets other keys through', () => {
    const s = read('schema/settings.schema.json');
    assert.ok(s.title && s.description);
    assert.notEqual(s.additionalProperties, false, 'the file is shared with Qwen Code');
    const doc = JSON.parse(stripComments(REALISTIC));
    const r = z.fromJSONSchema(s).safeParse(doc);
    assert.ok(r.success, JSON.stringify(r.error?.issues));
    assert.ok(Settings.safeParse(doc).success, 'the zod schema the server uses agrees');
  });

  it('the settings schema rejects what the server rejects', () => {
    const v = z.fromJSONSchema(read('schema/settings.schema.json'));
    const bad = [
      { modelProviders: { openai: [{ name: 'no id' }] } },
      { modelProviders: { openai: [{ id: 'm', envKey: 'sk-0123456789abcdef' }] } },
      { modelProviders: { anthropic: [{ id: 'm', baseUrl: 'not a url' }] } },
      { security: { auth: { selectedType: 'password' } } },
      { env: { OPENAI_BASE_URL: 42 } },
    ];
    for (const doc of bad) {
      assert.ok(!v.safeParse(doc).success, `JSON Schema accepted ${JSON.stringify(doc)}`);
      assert.ok(!Settings.safeParse(doc).success, `zod accepted ${JSON.stringify(doc)}`);
    }
  });

  it('the settings schema describes the keys people edit', () => {
    const s = read('schema/settings.schema.json');
    const p = s.properties;
    for (const d of [
      p.model.properties.name,
      p.security.properties.auth.properties.selectedType,
      p.env,
      p.modelProviders,
      s.$defs.ModelConfig.properties.envKey,
      s.$defs.ModelConfig.properties.baseUrl,
    ]) {
      assert.equal(typeof d.description, 'string');
    }
    assert.match(s.$defs.ModelConfig.properties.envKey.description, /never the key/);
    assert.deepEqual(s.$defs.ModelConfig.required, ['id']);
  });
});
