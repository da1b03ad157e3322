/**
 * Qwen Code 0.24.4's provider presets (the `/auth` menu), as data, and its
 * install of one. Menu order is ALL_PROVIDERS' (all-providers.ts, chunk-VOHPPFJI.js).
 */
import { alibabaStandard } from './alibaba-standard.js';
import { codingPlan } from './coding-plan.js';
import { customProvider } from './custom.js';
import { deepseek } from './deepseek.js';
import { FIXTURE_PRESETS } from './fixture.js';
import { grok } from './grok.js';
import { idealab } from './idealab.js';
import { minimax } from './minimax.js';
import { modelscope } from './modelscope.js';
import { moonshot } from './moonshot.js';
import { openrouter } from './openrouter.js';
import { requesty } from './requesty.js';
import { tokenPlan } from './token-plan.js';
import type { Preset, PresetRegion } from './types.js';
import { zai } from './zai.js';

export type { Ownership, Preset, PresetModel, PresetRegion } from './types.js';
export { buildEntries, CUSTOM_ENV_PREFIX, type Entry, type InstallPlan, listVersion, offersCurrent, ownsEntry, planInstall } from './install.js';
export { CUSTOM_DEFAULT_BASE_URL, CUSTOM_PROTOCOLS, customEnvKey, customProvider } from './custom.js';

export const PRESETS: readonly Preset[] = [
  codingPlan,
  tokenPlan,
  alibabaStandard,
  deepseek,
  grok,
  minimax,
  zai,
  moonshot,
  idealab,
  modelscope,
  openrouter,
  requesty,
  customProvider,
  // None but in a test build (fixture.ts).
  ...FIXTURE_PRESETS,
];

export const CODING_PLAN = codingPlan;

export function findPreset(id: string): Preset | undefined {
  return PRESETS.find((p) => p.id === id);
}

/** Every endpoint a preset names: hosts the server chose, not the workspace. */
export const PRESET_BASE_URLS: readonly string[] = PRESETS.flatMap((p) => p.regions.map((r) => r.baseUrl));

/** The value a region goes by on the wire. */
export const regionValue = (r: PresetRegion): string | undefined => r.value ?? r.id;

const trimSlashes = (u: string) => u.replace(/\/+$/, '');

/**
 * The endpoint a login asks for: by region value (or Qwen Code's region id),
 * else by base URL, else the preset's first. Undefined when the asked-for
 * one is not the preset's.
 */
export function pickRegion(preset: Preset, want: { region?: string; baseUrl?: string }): PresetRegion | undefined {
  if (want.region !== undefined) {
    const r = preset.regions.find((x) => regionValue(x) === want.region || x.id === want.region);
    if (!r || (want.baseUrl !== undefined && trimSlashes(want.baseUrl) !== trimSlashes(r.baseUrl))) return undefined;
    return r;
  }
  if (want.baseUrl !== undefined) return preset.regions.find((x) => trimSlashes(x.baseUrl) === trimSlashes(want.baseUrl!));
  return preset.regions[0];
}

/** The region an entry's base URL belongs to. */
export function regionOfBaseUrl(preset: Preset, baseUrl: unknown): PresetRegion | undefined {
  return typeof baseUrl === 'string' ? preset.regions.find((r) => r.baseUrl === baseUrl) : undefined;
}
