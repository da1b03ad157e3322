/**
 * The differential table: one or more scenarios for each point of issue 11's
 * "What differs today" that can be seen from outside, and a few baselines.
 * A scenario with `todo` is one where today's server disagrees with Qwen Code
 * 0.24.4; `todo` says how. Fixing the server turns it into an ordinary test:
 * delete its `todo`.
 */
import { FILES, type Scenario, type ScenarioContext } from './differential.js';

type Entry = { id: string; baseUrl?: string; envKey?: string; name?: string; wireApi?: string };
const entry = (id: string, baseUrl?: string, envKey?: string, extra: Partial<Entry> = {}): Entry => ({
  id,
  ...(baseUrl !== undefined ? { baseUrl } : {}),
  ...(envKey !== undefined ? { envKey } : {}),
  ...extra,
});
const openai = (selected: string, models: Entry[], more: Record<string, unknown> = {}) => ({
  security: { auth: { selectedType: 'openai' } },
  model: { name: selected },
  modelProviders: { openai: models },
  ...more,
});
const dotenv = (vars: Record<string, string>) => `${Object.entries(vars).map(([k, v]) => `${k}=${v}`).join('\n')}\n`;
/** The user file of the folder-trust scenarios: folder trust on, one model whose key is QAS_KEY_A. */
const trustOn = (c: ScenarioContext) => openai('m-a', [entry('m-a', c.host('a'), 'QAS_KEY_A')], { security: { auth: { selectedType: 'openai' }, folderTrust: { enabled: true } } });
/**
 * Folder trust on, `rules` (sandbox-relative folder → level), one key in the
 * project's `.env` and another in `~/.env`: the key Qwen Code sends says
 * whether the project file loaded.
 */
const projectOrHomeKey = (c: ScenarioContext, rules: Record<string, string>, projectEnv: string = FILES.projectEnv) => ({
  [FILES.user]: trustOn(c),
  [FILES.trustedFolders]: Object.fromEntries(Object.entries(rules).map(([folder, level]) => [c.path(folder), level])),
  [projectEnv]: dotenv({ QAS_KEY_A: c.key('QAS_KEY_A (project .env)') }),
  [FILES.homeEnv]: dotenv({ QAS_KEY_A: c.key('QAS_KEY_A (~/.env)') }),
});
/** A project that is a symbolic link: `work/link` → `elsewhere/real`, both programs started in the link. */
const LINKED = { links: { 'work/link': 'elsewhere/real' }, cwd: 'work/link' } as const;

/** A valid Qwen OAuth credential for Qwen Code's cache, good for a day. */
function oauthCreds(c: ScenarioContext) {
  return {
    access_token: c.key('oauth access token', 'qat-'),
    refresh_token: c.key('oauth refresh token', 'qrt-'),
    token_type: 'Bearer',
    resource_url: 'portal.qwen-oauth.provider.test',
    expiry_date: Date.now() + 24 * 3600 * 1000,
  };
}

export const SCENARIOS: Scenario[] = [
  // ---- baselines: where the two already agree ---------------------------------------
  {
    name: 'baseline: a modelProviders entry, its envKey in the process environment',
    setup: (c) => ({ files: { [FILES.user]: openai('m-a', [entry('m-a', c.host('a'), 'QAS_KEY_A')]) }, env: { QAS_KEY_A: c.key('QAS_KEY_A (process)') } }),
  },
  {
    name: 'baseline: the key in ~/.qwen/.env, the provider on loopback',
    setup: (c) => ({ files: { [FILES.user]: openai('m-a', [entry('m-a', c.url, 'QAS_KEY_A')]), [FILES.homeQwenEnv]: dotenv({ QAS_KEY_A: c.key('QAS_KEY_A (~/.qwen/.env)') }) } }),
  },
  {
    name: 'baseline: anthropic entry with its base URL',
    setup: (c) => ({
      files: { [FILES.user]: { security: { auth: { selectedType: 'anthropic' } }, model: { name: 'claude-a' }, modelProviders: { anthropic: [entry('claude-a', c.host('anthropic', ''), 'QAS_ANTHROPIC')] } } },
      env: { QAS_ANTHROPIC: c.key('QAS_ANTHROPIC (process)') },
    }),
  },
  {
    name: 'baseline: gemini entry with its base URL',
    setup: (c) => ({
      files: { [FILES.user]: { security: { auth: { selectedType: 'gemini' } }, model: { name: 'gemini-a' }, modelProviders: { gemini: [entry('gemini-a', c.host('gemini', ''), 'QAS_GEMINI')] } } },
      env: { QAS_GEMINI: c.key('QAS_GEMINI (process)') },
    }),
  },

  // ---- 1. .env files --------------------------------------------------------------------
  {
    name: 'a key kept in ~/.qwen/.env while the project has a .env without it',
    points: [1],
    setup: (c) => ({
      files: {
        [FILES.user]: openai('m-a', [entry('m-a', c.host('a'), 'QAS_KEY_A')]),
        [FILES.homeQwenEnv]: dotenv({ QAS_KEY_A: c.key('QAS_KEY_A (~/.qwen/.env)') }),
        [FILES.projectEnv]: dotenv({ PROJECT_SETTING: 'x' }),
      },
    }),
  },
  {
    name: 'a key kept in ~/.env while the project has a .qwen/.env without it',
    points: [1],
    setup: (c) => ({
      files: {
        [FILES.user]: openai('m-a', [entry('m-a', c.host('a'), 'QAS_KEY_A')]),
        [FILES.homeEnv]: dotenv({ QAS_KEY_A: c.key('QAS_KEY_A (~/.env)') }),
        [FILES.projectQwenEnv]: dotenv({ PROJECT_SETTING: 'x' }),
      },
    }),
  },
  {
    name: 'the project .env wins over ~/.qwen/.env for the same name',
    points: [1],
    setup: (c) => ({
      files: {
        [FILES.user]: openai('m-a', [entry('m-a', c.host('a'), 'QAS_KEY_A')]),
        [FILES.homeQwenEnv]: dotenv({ QAS_KEY_A: c.key('QAS_KEY_A (~/.qwen/.env)') }),
        [FILES.projectEnv]: dotenv({ QAS_KEY_A: c.key('QAS_KEY_A (project .env)') }),
      },
    }),
  },

  {
    name: 'a .env directory in the project (a Python virtual environment) ends the walk: no .env further up loads',
    points: [1],
    setup: (c) => ({
      files: {
        [FILES.user]: openai('m-a', [entry('m-a', c.host('a'), 'QAS_KEY_A')]),
        'work/project/.env/pyvenv.cfg': 'home = /usr/bin\n',
        'work/.env': dotenv({ QAS_KEY_A: c.key('QAS_KEY_A (parent .env)') }),
        [FILES.homeEnv]: dotenv({ QAS_KEY_A: c.key('QAS_KEY_A (~/.env)') }),
      },
    }),
  },

  // ---- 1. .env files in a folder that is not trusted ------------------------------------------
  {
    name: 'baseline: folder trust on, no rule for the project: its .env is skipped, ~/.env is used',
    points: [1],
    setup: (c) => ({ files: projectOrHomeKey(c, {}) }),
  },
  {
    name: 'folder trust on, the project trusted, its parent DO_NOT_TRUST: the parent .env is skipped and the walk goes on up',
    points: [1],
    setup: (c) => ({
      files: {
        [FILES.user]: trustOn(c),
        [FILES.trustedFolders]: { [c.path('work')]: 'DO_NOT_TRUST', [c.path('work/project')]: 'TRUST_FOLDER' },
        'work/.env': dotenv({ QAS_KEY_A: c.key('QAS_KEY_A (distrusted parent .env)') }),
        '.env': dotenv({ QAS_KEY_A: c.key('QAS_KEY_A (grandparent .env)') }),
      },
    }),
  },
  {
    name: 'folder trust on, DO_NOT_TRUST on the project inside a TRUST_FOLDER: the deeper rule wins, the project .env is skipped',
    points: [1],
    setup: (c) => ({ files: projectOrHomeKey(c, { work: 'TRUST_FOLDER', 'work/project': 'DO_NOT_TRUST' }) }),
  },

  // ---- 1. a symlinked project: trust and .env discovery from its real folder -------------------
  {
    name: 'a symlinked project: .env discovery walks up from its real folder, not from the link',
    points: [1],
    setup: (c) => ({
      ...LINKED,
      files: {
        [FILES.user]: openai('m-a', [entry('m-a', c.host('a'), 'QAS_KEY_A')]),
        'elsewhere/real/README.md': 'the project\n',
        'elsewhere/.env': dotenv({ QAS_KEY_A: c.key("QAS_KEY_A (the real folder's parent .env)") }),
        'work/.env': dotenv({ QAS_KEY_A: c.key("QAS_KEY_A (the link's parent .env)") }),
      },
    }),
  },
  {
    name: 'a symlinked project trusted by its real path: its .env loads',
    points: [1],
    setup: (c) => ({ ...LINKED, files: projectOrHomeKey(c, { 'elsewhere/real': 'TRUST_FOLDER' }, 'elsewhere/real/.env') }),
  },
  {
    name: 'a symlinked project inside a TRUST_FOLDER that holds only the link: not trusted, its .env is skipped',
    points: [1],
    setup: (c) => ({ ...LINKED, files: projectOrHomeKey(c, { work: 'TRUST_FOLDER' }, 'elsewhere/real/.env') }),
  },

  // ---- 2. empty variables -----------------------------------------------------------------
  {
    name: 'an empty variable in the environment counts as unset',
    points: [2],
    setup: (c) => ({
      files: { [FILES.user]: openai('m-a', [entry('m-a', c.host('a'), 'QAS_KEY_A')]), [FILES.homeQwenEnv]: dotenv({ QAS_KEY_A: c.key('QAS_KEY_A (~/.qwen/.env)') }) },
      env: { QAS_KEY_A: '' },
    }),
  },
  {
    name: 'an empty OPENAI_API_KEY in the environment, the key in the project .env',
    points: [2],
    setup: (c) => ({
      files: { [FILES.user]: openai('m-a', [entry('m-a', c.host('a'))]), [FILES.projectEnv]: dotenv({ OPENAI_API_KEY: c.key('OPENAI_API_KEY (project .env)') }) },
      env: { OPENAI_API_KEY: '' },
    }),
  },

  // ---- 3. an unset envKey falls through ------------------------------------------------------
  {
    name: "an unset envKey falls through to OPENAI_API_KEY",
    points: [3],
    setup: (c) => ({ files: { [FILES.user]: openai('m-a', [entry('m-a', c.host('a'), 'QAS_UNSET_KEY')]) }, env: { OPENAI_API_KEY: c.key('OPENAI_API_KEY (process)') } }),
  },
  {
    name: 'an unset envKey falls through to security.auth.apiKey',
    points: [3],
    setup: (c) => ({ files: { [FILES.user]: openai('m-a', [entry('m-a', c.host('a'), 'QAS_UNSET_KEY')], { security: { auth: { selectedType: 'openai', apiKey: c.key('security.auth.apiKey') } } }) } }),
  },
  {
    name: 'an unset envKey falls through to --openai-api-key',
    points: [3],
    setup: (c) => ({ files: { [FILES.user]: openai('m-a', [entry('m-a', c.host('a'), 'QAS_UNSET_KEY')]) }, args: ['--openai-api-key', c.key('--openai-api-key')] }),
  },

  // ---- 4. base URLs ----------------------------------------------------------------------------
  {
    name: 'a model no modelProviders entry defines goes to DashScope',
    points: [4],
    setup: (c) => ({ files: { [FILES.user]: { security: { auth: { selectedType: 'openai' } }, model: { name: 'qwen-unlisted' } } }, env: { OPENAI_API_KEY: c.key('OPENAI_API_KEY (process)') } }),
  },
  {
    name: 'OPENAI_BASE_URL for a model no entry defines',
    points: [4],
    setup: (c) => ({
      files: { [FILES.user]: { security: { auth: { selectedType: 'openai' } }, model: { name: 'qwen-unlisted' } } },
      env: { OPENAI_API_KEY: c.key('OPENAI_API_KEY (process)'), OPENAI_BASE_URL: c.host('env-base') },
    }),
  },
  {
    name: '--openai-base-url wins over OPENAI_BASE_URL',
    points: [4],
    setup: (c) => ({
      files: { [FILES.user]: { security: { auth: { selectedType: 'openai' } }, model: { name: 'qwen-unlisted' } } },
      env: { OPENAI_API_KEY: c.key('OPENAI_API_KEY (process)'), OPENAI_BASE_URL: c.host('env-base') },
      args: ['--openai-base-url', c.host('flag-base')],
    }),
  },
  {
    name: 'security.auth.baseUrl for a model no entry defines',
    points: [4],
    setup: (c) => ({
      files: { [FILES.user]: { security: { auth: { selectedType: 'openai', baseUrl: c.host('settings-base') } }, model: { name: 'qwen-unlisted' } } },
      env: { OPENAI_API_KEY: c.key('OPENAI_API_KEY (process)') },
    }),
  },
  {
    name: 'an entry without baseUrl takes OPENAI_BASE_URL',
    points: [4],
    setup: (c) => ({ files: { [FILES.user]: openai('m-a', [entry('m-a', undefined, 'QAS_KEY_A')]) }, env: { QAS_KEY_A: c.key('QAS_KEY_A (process)'), OPENAI_BASE_URL: c.host('env-base') } }),
  },
  {
    name: 'an entry without baseUrl and nothing else goes to api.openai.com',
    points: [4],
    setup: (c) => ({ files: { [FILES.user]: openai('m-a', [entry('m-a', undefined, 'QAS_KEY_A')]) }, env: { QAS_KEY_A: c.key('QAS_KEY_A (process)') } }),
  },
  {
    name: "an entry's own baseUrl wins over --openai-base-url",
    points: [4],
    setup: (c) => ({ files: { [FILES.user]: openai('m-a', [entry('m-a', c.host('a'), 'QAS_KEY_A')]) }, env: { QAS_KEY_A: c.key('QAS_KEY_A (process)') }, args: ['--openai-base-url', c.host('flag-base')] }),
  },

  // ---- 5. ${VAR} in settings -------------------------------------------------------------------
  {
    name: '${VAR} in a baseUrl expands from ~/.qwen/.env',
    points: [5],
    setup: (c) => ({
      files: {
        [FILES.user]: openai('m-a', [entry('m-a', 'https://${QAS_HOST_LABEL}.provider.test/v1', 'QAS_KEY_A')]),
        [FILES.homeQwenEnv]: dotenv({ QAS_HOST_LABEL: 'expanded' }),
      },
      env: { QAS_KEY_A: c.key('QAS_KEY_A (process)') },
    }),
  },
  {
    name: '$VAR in a baseUrl expands from the process environment',
    points: [5],
    setup: (c) => ({ files: { [FILES.user]: openai('m-a', [entry('m-a', '$QAS_BASE', 'QAS_KEY_A')]) }, env: { QAS_KEY_A: c.key('QAS_KEY_A (process)'), QAS_BASE: c.host('from-process') } }),
  },

  // ---- 6. no auth type, and what infers one -------------------------------------------------
  {
    name: 'no selectedType and nothing to infer it from',
    points: [6],
    setup: (c) => ({ files: { [FILES.user]: { model: { name: 'm-a' }, modelProviders: { openai: [entry('m-a', c.host('a'), 'QAS_KEY_A')] } } }, env: { QAS_KEY_A: c.key('QAS_KEY_A (process)') } }),
  },
  {
    name: 'OPENAI_API_KEY + OPENAI_MODEL + OPENAI_BASE_URL infer openai',
    points: [6],
    setup: (c) => ({ env: { OPENAI_API_KEY: c.key('OPENAI_API_KEY (process)'), OPENAI_MODEL: 'env-model', OPENAI_BASE_URL: c.host('env-base') } }),
  },
  {
    name: 'OPENAI_API_KEY + QWEN_MODEL + OPENAI_BASE_URL infer openai',
    points: [6],
    setup: (c) => ({ env: { OPENAI_API_KEY: c.key('OPENAI_API_KEY (process)'), QWEN_MODEL: 'qwen-env-model', OPENAI_BASE_URL: c.host('env-base') } }),
  },
  {
    name: 'OPENAI_API_KEY + OPENAI_MODEL without a base URL infer nothing',
    points: [6],
    setup: (c) => ({ env: { OPENAI_API_KEY: c.key('OPENAI_API_KEY (process)'), OPENAI_MODEL: 'env-model' } }),
  },
  {
    name: 'GEMINI_API_KEY + GEMINI_MODEL infer gemini',
    points: [6, 4],
    setup: (c) => ({ env: { GEMINI_API_KEY: c.key('GEMINI_API_KEY (process)'), GEMINI_MODEL: 'gemini-env-model' } }),
  },
  {
    name: 'GOOGLE_API_KEY + GOOGLE_MODEL infer vertex-ai',
    points: [6, 4],
    setup: (c) => ({ env: { GOOGLE_API_KEY: c.key('GOOGLE_API_KEY (process)'), GOOGLE_MODEL: 'gemini-vertex-model' } }),
  },
  {
    name: 'ANTHROPIC_API_KEY + ANTHROPIC_MODEL + ANTHROPIC_BASE_URL infer anthropic',
    points: [6],
    setup: (c) => ({ env: { ANTHROPIC_API_KEY: c.key('ANTHROPIC_API_KEY (process)'), ANTHROPIC_MODEL: 'claude-env', ANTHROPIC_BASE_URL: c.host('anthropic-env', '') } }),
  },

  // ---- 7. model.baseUrl ---------------------------------------------------------------------
  {
    name: 'model.baseUrl picks the second of two entries with one id',
    points: [7],
    setup: (c) => ({
      files: { [FILES.user]: { ...openai('twin', [entry('twin', c.host('first'), 'QAS_KEY_A'), entry('twin', c.host('second'), 'QAS_KEY_A')]), model: { name: 'twin', baseUrl: c.host('second') } } },
      env: { QAS_KEY_A: c.key('QAS_KEY_A (process)') },
    }),
  },

  // ---- 8. old and new settings formats -----------------------------------------------------------
  {
    name: 'a v1 flat settings file',
    points: [8],
    setup: (c) => ({ files: { [FILES.user]: { selectedAuthType: 'openai', model: 'm-old' } }, env: { OPENAI_API_KEY: c.key('OPENAI_API_KEY (process)'), OPENAI_BASE_URL: c.host('v1-base') } }),
  },
  {
    name: 'a v5 modelProviders.<id> = {protocol, models}',
    points: [8],
    setup: (c) => ({
      files: { [FILES.user]: { $version: 5, security: { auth: { selectedType: 'openai' } }, model: { name: 'm-a' }, modelProviders: { openai: { protocol: 'openai', models: [entry('m-a', c.host('a'), 'QAS_KEY_A')] } } } },
      env: { QAS_KEY_A: c.key('QAS_KEY_A (process)') },
    }),
  },

  // ---- 9. trailing commas -------------------------------------------------------------------------
  {
    name: 'a trailing comma in the user file',
    points: [9],
    setup: (c) => ({
      files: { [FILES.user]: `${JSON.stringify(openai('m-a', [entry('m-a', c.host('a'), 'QAS_KEY_A')]), null, 2).replace(/\n}$/, ',\n}')}\n` },
      env: { QAS_KEY_A: c.key('QAS_KEY_A (process)') },
    }),
  },
  {
    name: 'a trailing comma in the workspace file',
    points: [9],
    setup: (c) => ({
      files: {
        [FILES.user]: openai('user-model', [entry('user-model', c.host('user'), 'QAS_KEY_A'), entry('ws-model', c.host('ws'), 'QAS_KEY_A')]),
        [FILES.workspace]: '{ "model": { "name": "ws-model" }, }\n',
      },
      env: { QAS_KEY_A: c.key('QAS_KEY_A (process)') },
    }),
  },

  // ---- 9. an empty settings file ---------------------------------------------------------------------
  {
    name: 'an empty (0-byte) user settings file',
    points: [9],
    setup: (c) => ({
      files: { [FILES.user]: '' },
      env: { OPENAI_API_KEY: c.key('OPENAI_API_KEY (process)'), OPENAI_MODEL: 'env-model', OPENAI_BASE_URL: c.host('env-base') },
    }),
  },
  {
    name: 'a user settings file with only whitespace and a comment',
    points: [9],
    setup: (c) => ({
      files: { [FILES.user]: '\n  // nothing here yet\n\n' },
      env: { OPENAI_API_KEY: c.key('OPENAI_API_KEY (process)'), OPENAI_MODEL: 'env-model', OPENAI_BASE_URL: c.host('env-base') },
    }),
  },
  {
    name: 'an empty workspace settings file: Qwen Code resets it to {}, the user file decides',
    points: [9],
    setup: (c) => ({
      files: { [FILES.user]: openai('m-a', [entry('m-a', c.host('a'), 'QAS_KEY_A')]), [FILES.workspace]: '' },
      env: { QAS_KEY_A: c.key('QAS_KEY_A (process)') },
    }),
  },

  // ---- 10. openai-responses ------------------------------------------------------------------------
  {
    name: 'openai-responses: an openai entry with wireApi "responses"',
    points: [10],
    setup: (c) => ({
      files: { [FILES.user]: { security: { auth: { selectedType: 'openai-responses' } }, model: { name: 'resp-a' }, modelProviders: { openai: [entry('resp-a', c.host('responses'), 'QAS_KEY_A', { wireApi: 'responses' })] } } },
      env: { QAS_KEY_A: c.key('QAS_KEY_A (process)') },
    }),
  },
  {
    name: 'openai-responses: a modelProviders["openai-responses"] entry',
    points: [10],
    setup: (c) => ({
      files: { [FILES.user]: { security: { auth: { selectedType: 'openai-responses' } }, model: { name: 'resp-b' }, modelProviders: { 'openai-responses': [entry('resp-b', c.host('responses'), 'QAS_KEY_A')] } } },
      env: { QAS_KEY_A: c.key('QAS_KEY_A (process)') },
    }),
  },

  {
    name: 'openai-responses: an entry without a base URL goes to OpenAI, with OPENAI_API_KEY',
    points: [10, 4],
    setup: (c) => ({
      files: { [FILES.user]: { security: { auth: { selectedType: 'openai-responses' } }, model: { name: 'resp-c' }, modelProviders: { 'openai-responses': [entry('resp-c')] } } },
      env: { OPENAI_API_KEY: c.key('OPENAI_API_KEY (process)') },
    }),
  },
  {
    name: 'openai-responses: OPENAI_BASE_URL and OPENAI_MODEL for a model no entry has',
    points: [10, 4],
    setup: (c) => ({
      files: { [FILES.user]: { security: { auth: { selectedType: 'openai-responses' } } } },
      env: { OPENAI_API_KEY: c.key('OPENAI_API_KEY (process)'), OPENAI_BASE_URL: c.host('responses-env'), OPENAI_MODEL: 'resp-env' },
    }),
  },
  {
    name: 'openai-responses: a base URL without /v1 gets one on this wire',
    points: [10, 4],
    setup: (c) => ({
      files: { [FILES.user]: { security: { auth: { selectedType: 'openai-responses' } }, model: { name: 'resp-e' }, modelProviders: { 'openai-responses': [entry('resp-e', c.host('resp-e', '/api'), 'QAS_KEY_A')] } } },
      env: { QAS_KEY_A: c.key('QAS_KEY_A (process)') },
    }),
  },
  {
    name: 'openai-responses selected with no model named: the first entry',
    points: [10, 12],
    setup: (c) => ({
      files: { [FILES.user]: { security: { auth: { selectedType: 'openai-responses' } }, modelProviders: { 'openai-responses': [entry('resp-f', c.host('resp-f'), 'QAS_KEY_A'), entry('resp-g', c.host('resp-g'), 'QAS_KEY_A')] } } },
      env: { QAS_KEY_A: c.key('QAS_KEY_A (process)') },
    }),
  },
  {
    name: 'openai-responses selected with no model anywhere, OPENAI_API_KEY set',
    points: [10, 12],
    setup: (c) => ({ files: { [FILES.user]: { security: { auth: { selectedType: 'openai-responses' } } } }, env: { OPENAI_API_KEY: c.key('OPENAI_API_KEY (process)') } }),
  },
  {
    name: 'openai selected, model.name a wireApi "responses" entry: Qwen Code switches to openai-responses',
    points: [10],
    setup: (c) => ({
      files: { [FILES.user]: openai('resp-h', [entry('plain-h', c.host('plain-h'), 'QAS_KEY_A'), entry('resp-h', c.host('resp-h'), 'QAS_KEY_A', { wireApi: 'responses' })]) },
      env: { QAS_KEY_A: c.key('QAS_KEY_A (process)') },
    }),
  },
  {
    name: 'openai-responses selected, -m an entry with wireApi "chat-completions": Qwen Code switches to openai',
    points: [10],
    setup: (c) => ({
      files: {
        [FILES.user]: {
          security: { auth: { selectedType: 'openai-responses' } },
          model: { name: 'resp-i' },
          modelProviders: { 'openai-responses': [entry('resp-i', c.host('resp-i'), 'QAS_KEY_A'), entry('chat-i', c.host('chat-i'), 'QAS_KEY_A', { wireApi: 'chat-completions' })] },
        },
      },
      env: { QAS_KEY_A: c.key('QAS_KEY_A (process)') },
      args: ['-m', 'chat-i'],
    }),
  },
  {
    name: 'openai-responses selected, model.name a plain openai entry: no switch',
    points: [10],
    setup: (c) => ({
      files: {
        [FILES.user]: {
          security: { auth: { selectedType: 'openai-responses' } },
          model: { name: 'plain-j' },
          modelProviders: { openai: [entry('plain-j', c.host('plain-j'), 'QAS_KEY_A')], 'openai-responses': [entry('resp-j', c.host('resp-j'), 'QAS_KEY_A')] },
        },
      },
      env: { QAS_KEY_A: c.key('QAS_KEY_A (process)') },
    }),
  },
  {
    name: 'openai-responses: an openai entry with wireApi "chat-completions" stays openai',
    points: [10],
    setup: (c) => ({
      files: { [FILES.user]: { security: { auth: { selectedType: 'openai' } }, model: { name: 'chat-d' }, modelProviders: { 'openai-responses': [entry('chat-d', c.host('chat-d'), 'QAS_KEY_A', { wireApi: 'chat-completions' })] } } },
      env: { QAS_KEY_A: c.key('QAS_KEY_A (process)') },
    }),
  },

  // ---- 11. Qwen OAuth ---------------------------------------------------------------------------
  {
    name: 'a cached Qwen OAuth credential without useExternal',
    points: [11],
    setup: (c) => ({ files: { [FILES.user]: { security: { auth: { selectedType: 'qwen-oauth' } } }, [FILES.oauthCreds]: oauthCreds(c) } }),
  },
  {
    name: 'a cached Qwen OAuth credential, useExternal set in the workspace settings',
    points: [11],
    setup: (c) => ({
      files: { [FILES.user]: { security: { auth: { selectedType: 'qwen-oauth' } } }, [FILES.workspace]: { security: { auth: { useExternal: true } } }, [FILES.oauthCreds]: oauthCreds(c) },
    }),
  },
  {
    name: 'a cached Qwen OAuth credential with security.auth.useExternal',
    points: [11, 4],
    setup: (c) => ({ files: { [FILES.user]: { security: { auth: { selectedType: 'qwen-oauth', useExternal: true } } }, [FILES.oauthCreds]: oauthCreds(c) } }),
  },

  // ---- 12. -m with an unknown id, and the defaults ------------------------------------------------
  {
    name: '-m with an id no entry has, every key from modelProviders',
    points: [12],
    setup: (c) => ({ files: { [FILES.user]: openai('m-a', [entry('m-a', c.host('a'), 'QAS_KEY_A'), entry('m-b', c.host('b'), 'QAS_KEY_A')]) }, env: { QAS_KEY_A: c.key('QAS_KEY_A (process)') }, args: ['-m', 'no-such-model'] }),
  },
  {
    name: '-m with an id no entry has, OPENAI_API_KEY from the environment',
    points: [12, 4],
    setup: (c) => ({ files: { [FILES.user]: openai('m-a', [entry('m-a', c.host('a'), 'QAS_KEY_A')]) }, env: { QAS_KEY_A: c.key('QAS_KEY_A (process)'), OPENAI_API_KEY: c.key('OPENAI_API_KEY (process)') }, args: ['-m', 'no-such-model'] }),
  },
  {
    name: 'openai selected with no model anywhere: the default model',
    points: [12, 4],
    setup: (c) => ({ files: { [FILES.user]: { security: { auth: { selectedType: 'openai' } } } }, env: { OPENAI_API_KEY: c.key('OPENAI_API_KEY (process)') } }),
  },

  // ---- 13. which layer wins ---------------------------------------------------------------------
  {
    name: '-m wins over model.name',
    points: [13],
    setup: (c) => ({ files: { [FILES.user]: openai('m-a', [entry('m-a', c.host('a'), 'QAS_KEY_A'), entry('m-b', c.host('b'), 'QAS_KEY_A')]) }, env: { QAS_KEY_A: c.key('QAS_KEY_A (process)') }, args: ['-m', 'm-b'] }),
  },
  {
    name: 'the workspace model.name wins over the user one',
    points: [13],
    setup: (c) => ({
      files: { [FILES.user]: openai('m-a', [entry('m-a', c.host('a'), 'QAS_KEY_A'), entry('m-b', c.host('b'), 'QAS_KEY_A')]), [FILES.workspace]: { model: { name: 'm-b' } } },
      env: { QAS_KEY_A: c.key('QAS_KEY_A (process)') },
    }),
  },
  {
    name: 'the system file wins over the workspace',
    points: [13],
    setup: (c) => ({
      files: {
        [FILES.user]: openai('m-a', [entry('m-a', c.host('a'), 'QAS_KEY_A'), entry('m-b', c.host('b'), 'QAS_KEY_A'), entry('m-c', c.host('c'), 'QAS_KEY_A')]),
        [FILES.workspace]: { model: { name: 'm-b' } },
        [FILES.system]: { model: { name: 'm-c' } },
      },
      env: { QAS_KEY_A: c.key('QAS_KEY_A (process)') },
    }),
  },
  {
    name: 'OPENAI_MODEL names the model when settings name none',
    points: [13],
    setup: (c) => ({ files: { [FILES.user]: { security: { auth: { selectedType: 'openai' } }, modelProviders: { openai: [entry('m-a', c.host('a'), 'QAS_KEY_A'), entry('m-b', c.host('b'), 'QAS_KEY_A')] } } }, env: { QAS_KEY_A: c.key('QAS_KEY_A (process)'), OPENAI_MODEL: 'm-b' } }),
  },
];
