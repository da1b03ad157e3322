/**
 * Presets that only a test build has: scripts/build.mjs bakes the file
 * QAS_FIXTURE_PRESETS names into that bundle (checked against
 * fixture-schema.ts first), so that a test can show that a preset added to
 * the table reaches every client's menu with no client change. Every other
 * build, and the sources run as they are, have none: nothing at run time
 * can add a login target.
 */
import type { Preset } from './types.js';

declare const __QAS_FIXTURE_PRESETS__: readonly Preset[] | undefined;

export const FIXTURE_PRESETS: readonly Preset[] = typeof __QAS_FIXTURE_PRESETS__ === 'undefined' ? [] : __QAS_FIXTURE_PRESETS__;
