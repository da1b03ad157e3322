import type { KeyAuthType } from '../../protocol/index.js';

/** A model as a preset lists it (Qwen Code's ModelSpec): what an install turns into a `modelProviders` entry. */
export interface PresetModel {
  id: string;
  description?: string;
  capabilities?: Record<string, unknown>;
  contextWindowSize?: number;
  enableThinking?: boolean;
  thinkingMandatory?: boolean;
  modalities?: Record<string, boolean>;
  imageOnly?: boolean;
}

/** One endpoint a preset offers (Qwen Code's baseUrl options); a preset with one fixed URL has one without id. */
export interface PresetRegion {
  id?: string;
  /** The region's value on the wire where it differs from Qwen Code's id (Coding Plan: PROTOCOL.md's `china`/`global`). */
  value?: string;
  label?: string;
  baseUrl: string;
  documentationUrl?: string;
  /** The name prefix of the models installed for this endpoint: `[<prefix>] <id>`. */
  namePrefix: string;
  /** `providerMetadata.<id>.version` after an install of the whole list here (checked against the hash by the tests). */
  version: string;
}

/**
 * Which existing entries an install replaces (Qwen Code's ownsModel): all
 * need the preset's envKey, and then a base URL of the preset (or, for the
 * Token Plan, its name prefix), a host, or the preset's name prefix.
 */
export type Ownership =
  | { kind: 'baseUrl'; namePrefix?: string }
  | { kind: 'host'; hosts: string[]; subdomainsOf: string }
  | { kind: 'namePrefix' };

export interface Preset {
  id: string;
  label: string;
  description: string;
  group: 'alibaba' | 'third-party' | 'custom';
  protocol: KeyAuthType;
  envKey: string;
  documentationUrl?: string;
  regions: PresetRegion[];
  keyRule?: { prefix: string; placeholder: string; message: string };
  /** The preset's `GET <baseUrl>/models` lists what the key may use (Qwen Code's supportsModelDiscovery). */
  discovery?: boolean;
  owns: Ownership;
  customHeaders?: Record<string, string>;
  models: PresetModel[];
}
