/**
 * Qwen Code 0.24.4's install of a provider preset (buildInstallPlan and
 * applyProviderInstallPlan, packages/core/src/providers/install.ts and
 * provider-config.ts, chunk-VOHPPFJI.js), for the inputs the server takes:
 * the entries it writes, how they merge with what is there, and the model
 * it selects. Pure: the caller reads the file and writes the result.
 */
import { createHash } from 'node:crypto';
import type { KeyAuthType } from '../../protocol/index.js';
import type { Preset, PresetModel, PresetRegion } from './types.js';

export type Entry = Record<string, unknown> & { id: string };

export interface InstallInputs {
  region: PresetRegion;
  /** The ids to install, in order (default: every model of the preset). */
  modelIds?: readonly string[];
  /** The protocol (Custom Provider only; presets have their own). */
  protocol?: KeyAuthType;
  /** The envKey entries get (Custom Provider: generated from protocol and base URL). */
  envKey?: string;
}

export interface InstallPlan {
  protocol: KeyAuthType;
  envKey: string;
  /** The entries as the preset builds them, before the merge with existing ones (what the version hashes). */
  built: Entry[];
  /** `modelProviders.<protocol>` after the install. */
  list: unknown[];
  /** The model a login selects when the current one is not among the new entries. */
  first: Entry;
  /** `providerMetadata.<id>` fields (none for Custom Provider). */
  metadata?: { version: string; baseUrl: string };
  /** Custom Provider: the selection carries its base URL. */
  selectsBaseUrl: boolean;
}

/** The `generationConfig` a spec gives (buildGenerationConfig): keys in Qwen Code's order. */
function generationConfig(spec: PresetModel): Record<string, unknown> | undefined {
  const g: Record<string, unknown> = {};
  if (spec.enableThinking) g['extra_body'] = { enable_thinking: true };
  if (spec.thinkingMandatory) g['thinkingMandatory'] = true;
  if (spec.contextWindowSize) g['contextWindowSize'] = spec.contextWindowSize;
  if (spec.modalities && Object.values(spec.modalities).some(Boolean)) g['modalities'] = spec.modalities;
  return Object.keys(g).length > 0 ? g : undefined;
}

/** One entry (specToModelConfig): `[<prefix>] <id>`, the field order Qwen Code writes. */
function entryOf(spec: PresetModel, prefix: string, baseUrl: string, envKey: string): Entry {
  const g = generationConfig(spec);
  return {
    id: spec.id,
    name: prefix ? `[${prefix}] ${spec.id}` : spec.id,
    ...(spec.description ? { description: spec.description } : {}),
    ...(spec.capabilities ? { capabilities: spec.capabilities } : {}),
    baseUrl,
    envKey,
    ...(spec.imageOnly ? { imageOnly: true } : {}),
    ...(g ? { generationConfig: g } : {}),
  };
}

/** The entries of an install before any merge (buildModelConfigs, with applyProviderCustomHeaders). */
export function buildEntries(preset: Preset, inputs: InstallInputs): Entry[] {
  const envKey = inputs.envKey ?? preset.envKey;
  const prefix = inputs.region.namePrefix;
  const specs = new Map(preset.models.map((s) => [s.id.toLowerCase(), s]));
  const ids = inputs.modelIds && inputs.modelIds.length > 0 ? inputs.modelIds : preset.models.map((s) => s.id);
  const entries = ids.map((id) => {
    const spec = specs.get(id.toLowerCase());
    return entryOf(spec ? { ...spec, id } : { id }, prefix, inputs.region.baseUrl, envKey);
  });
  if (!preset.customHeaders) return entries;
  return entries.map((e) => {
    const g = (e['generationConfig'] ?? {}) as Record<string, unknown>;
    return { ...e, generationConfig: { ...g, customHeaders: { ...preset.customHeaders, ...(g['customHeaders'] as object | undefined) } } };
  });
}

/** `providerMetadata.<id>.version`: lowercase hex SHA-256 of the built list (computeModelListVersion). */
export function listVersion(entries: readonly Entry[]): string {
  return createHash('sha256').update(JSON.stringify(entries)).digest('hex');
}

function hostOf(url: unknown): string | undefined {
  try {
    return new URL(typeof url === 'string' ? url : '').hostname;
  } catch {
    return undefined;
  }
}

/** Whether an existing entry is the preset's own (ownsModel): replaced by an install, never duplicated. */
export function ownsEntry(preset: Preset, entry: unknown): boolean {
  if (!entry || typeof entry !== 'object') return false;
  const e = entry as { envKey?: unknown; baseUrl?: unknown; name?: unknown };
  if (preset.group === 'custom') return typeof e.envKey === 'string' && e.envKey.startsWith(CUSTOM_ENV_PREFIX);
  if (e.envKey !== preset.envKey) return false;
  const o = preset.owns;
  switch (o.kind) {
    case 'baseUrl':
      return (
        (typeof e.baseUrl === 'string' && preset.regions.some((r) => r.baseUrl === e.baseUrl)) ||
        (o.namePrefix !== undefined && typeof e.name === 'string' && e.name.startsWith(o.namePrefix))
      );
    case 'host': {
      const host = hostOf(e.baseUrl);
      return host !== undefined && (o.hosts.includes(host) || host.endsWith(`.${o.subdomainsOf}`));
    }
    case 'namePrefix': {
      const prefix = preset.regions[0]?.namePrefix ?? '';
      return prefix === '' || (typeof e.name === 'string' && e.name.startsWith(`[${prefix}] `));
    }
  }
}

export const CUSTOM_ENV_PREFIX = 'QWEN_CUSTOM_API_KEY_';

const isObject = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);
const sameIdentity = (a: Record<string, unknown>, b: Record<string, unknown>) => a['id'] === b['id'] && (a['baseUrl'] ?? '') === (b['baseUrl'] ?? '');
const isServiceOnly = (e: Record<string, unknown>) => !!(e['imageOnly'] || e['voiceOnly'] || e['realtimeOnly']);

/**
 * A re-install over an owned entry with the same id and base URL: the old
 * fields stay unless the preset sets them, `generationConfig` and its
 * `extra_body`, `samplingParams`, `customHeaders` merge key by key (new
 * wins), and `name`, `envKey` and `contextWindowSize` keep the old value.
 */
function mergeOwned(existing: Record<string, unknown>, fresh: Entry): Entry {
  const old = isObject(existing['generationConfig']) ? existing['generationConfig'] : {};
  const neu = isObject(fresh['generationConfig']) ? fresh['generationConfig'] : undefined;
  const sub = (k: string) =>
    isObject(old[k]) || isObject(neu?.[k]) ? { [k]: { ...(old[k] as object | undefined), ...(neu?.[k] as object | undefined) } } : {};
  const generation =
    Object.keys(old).length > 0 || neu
      ? {
          ...old,
          ...neu,
          ...sub('extra_body'),
          ...(old['contextWindowSize'] !== undefined ? { contextWindowSize: old['contextWindowSize'] } : {}),
          ...sub('samplingParams'),
          ...sub('customHeaders'),
        }
      : undefined;
  const merged: Record<string, unknown> = { ...existing, ...fresh, name: existing['name'] ?? fresh['name'], generationConfig: generation };
  for (const flag of ['supportsImageGeneration', 'imageOnly', 'voiceOnly', 'realtimeOnly']) if (existing[flag]) merged[flag] = true;
  if (existing['envKey']) merged['envKey'] = existing['envKey'];
  if (merged['generationConfig'] === undefined) delete merged['generationConfig'];
  return merged as Entry;
}

/**
 * The plan for `existing`, the `modelProviders.<protocol>` list the install
 * reads (Qwen Code: the merged one): the preset's entries first, merged
 * with the owned ones they replace, then every entry it does not own.
 */
export function planInstall(preset: Preset, inputs: InstallInputs, existing: readonly unknown[]): InstallPlan {
  const protocol = inputs.protocol ?? preset.protocol;
  const built = buildEntries(preset, inputs);
  const custom = preset.group === 'custom';
  const entries = existing.filter(isObject);
  const models = built.map((m) => {
    const old = entries.find((e) => (custom || ownsEntry(preset, e)) && e['id'] === m.id && e['baseUrl'] === m['baseUrl']);
    return old ? mergeOwned(old, m) : m;
  });
  // Custom Provider merges by identity (mergeModelsByIdentity): it removes only the entries it rewrites.
  const kept = existing.filter((e) => (custom ? !models.some((m) => isObject(e) && sameIdentity(m, e)) : !ownsEntry(preset, e)));
  const conversation = models.filter((m) => !isServiceOnly(m));
  const first = conversation[0] ?? models[0]!;
  const envKey = typeof first['envKey'] === 'string' ? first['envKey'] : (inputs.envKey ?? preset.envKey);
  return {
    protocol,
    envKey,
    built,
    list: [...models, ...kept],
    first,
    ...(custom ? {} : { metadata: { version: listVersion(built), baseUrl: inputs.region.baseUrl } }),
    selectsBaseUrl: custom,
  };
}

/**
 * Whether the current `model.name`/`model.baseUrl` is among the new entries,
 * so the install keeps it (applyProviderInstallPlan's planOffersCurrentModel).
 */
export function offersCurrent(plan: InstallPlan, name: unknown, baseUrl: unknown): boolean {
  if (typeof name !== 'string' || name === '') return false;
  const fresh = plan.list.slice(0, plan.built.length) as Entry[];
  return fresh.some((m) => (baseUrl === '' || baseUrl === undefined ? m.id === name : m.id === name && m['baseUrl'] === baseUrl));
}
