/**
 * What QAS_FIXTURE_PRESETS may name (scripts/build.mjs reads it at build
 * time only; see fixture.ts): presets of their own, on loopback, none with a
 * real preset's id.
 */
import * as z from 'zod/mini';
import { EnvName, KeyAuthType, PRESET_METHODS } from '../../protocol/index.js';
import type { Preset } from './types.js';

const Text = z.string().check(z.minLength(1));

/** A fixture talks to a peer on this machine only, over plain HTTP. */
const LoopbackUrl = z.url().check(
  z.refine((u) => /^http:\/\/127\.0\.0\.1(:\d+)?(\/|$)/.test(u), 'a fixture preset may only name http://127.0.0.1 endpoints'),
);

const FixtureRegion = z.strictObject({
  id: z.optional(Text),
  value: z.optional(Text),
  label: z.optional(Text),
  baseUrl: LoopbackUrl,
  documentationUrl: z.optional(z.url()),
  namePrefix: Text,
  version: Text,
});

const FixturePreset = z.strictObject({
  id: z.string().check(
    z.regex(/^fixture-[a-z0-9-]+$/, 'a fixture preset id starts with fixture-'),
    z.refine((id) => !(PRESET_METHODS as readonly string[]).includes(id), 'a fixture preset may not replace a real one'),
  ),
  label: Text,
  description: Text,
  group: z.literal('third-party'),
  protocol: KeyAuthType,
  envKey: EnvName,
  documentationUrl: z.optional(z.url()),
  regions: z.array(FixtureRegion).check(z.minLength(1)),
  keyRule: z.optional(z.strictObject({ prefix: Text, placeholder: Text, message: Text })),
  discovery: z.optional(z.boolean()),
  owns: z.strictObject({ kind: z.literal('namePrefix') }),
  models: z.array(z.strictObject({ id: Text, description: z.optional(z.string()), contextWindowSize: z.optional(z.number()) })).check(z.minLength(1)),
});

export const FixturePresets = z.array(FixturePreset).check(
  z.refine((list) => new Set(list.map((p) => p.id)).size === list.length, 'two fixture presets have one id'),
);

// The schema's output must be a Preset, or the build would bake in what the server cannot read.
const _fits: (p: z.infer<typeof FixturePreset>) => Preset = (p) => p;
void _fits;
