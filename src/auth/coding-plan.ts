/**
 * The Coding Plan's names, from the preset table (src/auth/presets): kept
 * for the modules that knew only this preset. New code asks the presets.
 */
import { CODING_PLAN, PRESET_BASE_URLS } from './presets/index.js';

export const CODING_PLAN_ENV_KEY = CODING_PLAN.envKey;

/**
 * Every preset endpoint, not only the Coding Plan's: src/handlers/egress.ts
 * takes these values as hosts chosen outside the workspace, and a preset
 * login sends its key check to any of them.
 */
export const CODING_PLAN_BASE_URL: Readonly<Record<string, string>> = Object.fromEntries(PRESET_BASE_URLS.map((u) => [u, u]));
