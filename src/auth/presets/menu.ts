/**
 * `auth/methods`: the login menu as data, so that no client hard-codes a
 * provider, a variable name, a region or a key rule (PROTOCOL.md).
 */
import { DEFAULT_ENV_KEY, GROUP_LABEL } from '../../config/index.js';
import { KeyAuthType, type LoginField, type LoginOption } from '../../protocol/index.js';
import { QWEN_OAUTH_NOTICE } from '../qwen-oauth/notice.js';
import { CUSTOM_DEFAULT_BASE_URL, CUSTOM_PROTOCOLS } from './custom.js';
import { PRESETS, regionValue } from './index.js';
import type { Preset } from './types.js';

const hostOf = (url: string) => new URL(url).host;

const apiKeyField = (p?: Preset): LoginField => ({
  name: 'apiKey',
  label: 'API key',
  secret: true,
  ...(p?.keyRule ? { placeholder: p.keyRule.placeholder, rule: `starts with ${p.keyRule.prefix}` } : {}),
});

function presetOption(p: Preset): LoginOption {
  const fields: LoginField[] = [apiKeyField(p)];
  if (p.group === 'custom') {
    fields.push(
      {
        name: 'authType',
        label: 'Protocol',
        optional: true,
        default: CUSTOM_PROTOCOLS[0]!,
        choices: CUSTOM_PROTOCOLS.map((value) => ({ value, label: GROUP_LABEL[value], detail: CUSTOM_DEFAULT_BASE_URL[value]! })),
      },
      { name: 'baseUrl', label: 'Base URL', optional: true, placeholder: CUSTOM_DEFAULT_BASE_URL.openai!, rule: 'an http(s) URL; empty: the protocol\'s own endpoint' },
      { name: 'models', label: 'Model ids', rule: 'one or more model ids, comma-separated' },
    );
  } else {
    if (p.regions.length > 1) {
      const first = p.regions[0]!;
      // The endpoint's host, with its path where two regions share a host (Z.AI).
      const hosts = p.regions.map((r) => hostOf(r.baseUrl));
      const detail = (url: string) => {
        const u = new URL(url);
        return hosts.filter((h) => h === u.host).length > 1 ? `${u.host}${u.pathname}` : u.host;
      };
      fields.push({
        name: 'region',
        label: 'Region',
        optional: true,
        default: regionValue(first)!,
        choices: p.regions.map((r) => ({ value: regionValue(r)!, label: r.label ?? hostOf(r.baseUrl), detail: detail(r.baseUrl) })),
      });
    }
    fields.push({ name: 'models', label: 'Models', optional: true, default: p.models.map((m) => m.id) });
  }
  const doc = p.documentationUrl ?? p.regions[0]?.documentationUrl;
  return {
    id: p.id,
    label: p.label,
    description: p.description,
    group: p.group,
    authType: p.protocol,
    ...(p.group === 'custom' ? {} : { envKey: p.envKey }),
    ...(doc ? { documentationUrl: doc } : {}),
    fields,
  };
}

/** Qwen OAuth, every preset in Qwen Code's order, then a key for any auth type. */
export function loginMenu(): LoginOption[] {
  const keyTypes = KeyAuthType.options;
  return [
    {
      id: 'qwen-oauth',
      label: 'Qwen OAuth',
      description: 'Sign in with your qwen.ai account in the browser',
      authType: 'qwen-oauth',
      notice: QWEN_OAUTH_NOTICE,
      fields: [],
    },
    ...PRESETS.map(presetOption),
    {
      id: 'api-key',
      label: 'API key',
      description: 'A key for any provider, stored in your home .env file',
      authType: 'openai',
      fields: [
        {
          name: 'authType',
          label: 'Auth type',
          default: 'openai',
          choices: keyTypes.map((value) => ({ value, label: GROUP_LABEL[value], detail: DEFAULT_ENV_KEY[value] })),
        },
        { name: 'envKey', label: 'Variable name', optional: true, placeholder: DEFAULT_ENV_KEY.openai, rule: 'letters, digits and _, not starting with a digit' },
        apiKeyField(),
      ],
    },
  ];
}
