import { type CatalogueModel, type ConfigGraph, editSettingsFile } from '../config/index.js';
import {
  type ModelListResult,
  type ModelSelectResult,
  type ParamsOf,
  ServerError,
  type SelectScope,
  type Source,
  scrub,
  scrubbedJson,
} from '../protocol/index.js';
import { type Encoded, encodeResult } from '../connection/encoded.js';
import type { HandlerContext } from './context.js';
import { graphSecrets } from './secrets.js';
import { modelListView, type RemoteModelEntry } from './views.js';

export function listModels(ctx: HandlerContext, remote: RemoteModelEntry[] = []): ModelListResult {
  return modelListAnswer(ctx.state.graph, remote);
}

/** The list, with what the selection fell back on (an unknown id, a stale model.baseUrl) as warnings. */
function modelListAnswer(g: ConfigGraph, remote: RemoteModelEntry[]): ModelListResult {
  const view = modelListView(g, remote);
  return g.selectionWarnings.length > 0 ? { ...view, warnings: [...g.selectionWarnings] } : view;
}

/**
 * model/list answers, encoded once for each graph and remote list (both are
 * replaced, never changed in place): asking again without a change costs no
 * JSON work. The router’s last pass skips encoded answers, so secrets
 * are scrubbed here, once per encoding; every secret the server knows comes
 * from the graph or from an OAuth sign-in, which recomputes the graph.
 */
export function cachedModelList(ctx: HandlerContext, secrets: () => Iterable<string>): (remote: RemoteModelEntry[]) => Encoded<ModelListResult> {
  let last: { graph: ConfigGraph; remote: RemoteModelEntry[]; answer: Encoded<ModelListResult> } | undefined;
  return (remote) => {
    const graph = ctx.state.graph;
    if (last?.graph !== graph || last.remote !== remote) {
      last = { graph, remote, answer: encodeResult(modelListAnswer(graph, remote), (v) => scrubbedJson(v, secrets())) };
    }
    return last.answer;
  };
}

/** Ids come from the client: keep messages readable whatever they send. */
function clip(s: string, max = 80): string {
  return s.length > max ? `${s.slice(0, max)}…` : s;
}

/**
 * Whether what a client sent names this value: the value itself, or the form
 * answers show it in when it holds a secret (a key in a baseUrl's query), so
 * that what model/list showed can be chosen. Only that exact form matches:
 * nothing can be learnt of the hidden part by trying.
 */
function namedBy(g: ConfigGraph): (asked: string, actual: string | undefined) => boolean {
  return (asked, actual) => actual !== undefined && (asked === actual || (asked.includes('…') && asked === scrub(actual, graphSecrets(g))));
}

/** The catalogue entries a `{authType?, id, baseUrl?}` names; errors a person can act on otherwise. */
export function findModel(
  g: ConfigGraph,
  p: { authType?: CatalogueModel['authType'] | undefined; id: string; baseUrl?: string | undefined },
  remote: RemoteModelEntry[] = [],
): CatalogueModel {
  const all: CatalogueModel[] = [
    ...g.catalogue,
    ...remote.map((r) => ({ ...r, name: r.name ?? r.id, source: { layer: 'remote' as const }, available: true })),
  ];
  const names = namedBy(g);
  const matches = all.filter(
    (m) =>
      names(p.id, m.id) &&
      (p.authType === undefined || m.authType === p.authType) &&
      (p.baseUrl === undefined || names(p.baseUrl, m.baseUrl)),
  );
  if (matches.length === 0) {
    const where = p.authType ? ` under ${p.authType}` : '';
    throw new ServerError('ModelNotFound', `no model "${clip(p.id)}"${where}`, {
      hint: 'model/list shows the models you can choose; add others under modelProviders in settings.json',
    });
  }
  const authTypes = [...new Set(matches.map((m) => m.authType))];
  if (authTypes.length > 1) {
    throw new ServerError('AmbiguousModel', `"${clip(p.id)}" exists under ${authTypes.join(' and ')}: say which with authType`, {
      candidates: matches.map((m) => ({ authType: m.authType, id: m.id, ...(m.baseUrl ? { baseUrl: m.baseUrl } : {}) })),
    });
  }
  return matches[0]!;
}

/** Qwen Code's rule: the workspace file if it has its own modelProviders, else the user file. */
function defaultScope(g: ConfigGraph): 'user' | 'workspace' {
  const ws = g.files.find((f) => f.scope === 'workspace');
  return ws?.exists && ws.settings.modelProviders && g.trust.trusted ? 'workspace' : 'user';
}

/**
 * What `model.baseUrl` is written as: the entry's own baseUrl as its file
 * has it (`$VAR` unexpanded), when the id exists at several base URLs;
 * otherwise nothing, and a stale one is removed (PROTOCOL.md model/select).
 */
function persistedBaseUrl(g: ConfigGraph, model: CatalogueModel): string | undefined {
  const twins = g.catalogue.filter((m) => m.authType === model.authType && m.id === model.id && m.config);
  if (twins.length < 2 || !model.config?.baseUrl) return undefined;
  const file = g.files.find((f) => f.path === model.source.path);
  const list = (file?.settings.modelProviders as Record<string, unknown> | undefined)?.[model.authType];
  const raw = Array.isArray(list)
    ? list.filter((e): e is { id: string; baseUrl?: unknown } => typeof e === 'object' && e !== null && (e as { id?: unknown }).id === model.id)
    : [];
  const own = raw[twins.filter((m) => m.source.path === model.source.path).indexOf(model)]?.baseUrl;
  return typeof own === 'string' ? own : model.config.baseUrl;
}

function sameChoice(a: { authType: string; id: string; baseUrl?: string | undefined }, b: { authType: string; id: string; baseUrl?: string | undefined }): boolean {
  return a.authType === b.authType && a.id === b.id && (a.baseUrl ?? '') === (b.baseUrl ?? '');
}

/** What a person can do about a source that still decides the model. */
function overrideWarning(by: Source, scope: SelectScope): string {
  if (by.layer === 'cli' || by.layer === 'initializationOptions') {
    return `--model decides the model for this process: your choice is saved to the ${scope} settings and applies once the server starts without --model (or choose with scope "session")`;
  }
  if (by.path) return `${by.path} also sets model.name and wins over ${scope} settings: your choice is saved but not in effect; change it there`;
  return `the ${by.layer} layer still decides the model: your choice is saved but not in effect`;
}

export async function selectModel(
  ctx: HandlerContext,
  p: ParamsOf<'model/select'>,
  remote: RemoteModelEntry[] = [],
): Promise<ModelSelectResult> {
  const g = ctx.state.graph;
  const model = findModel(g, p, remote);
  const scope: SelectScope = p.scope ?? defaultScope(g);
  const warnings: string[] = [];
  const choice = { authType: model.authType, id: model.id, ...(model.baseUrl ? { baseUrl: model.baseUrl } : {}) };
  let persistedTo: string | undefined;
  if (scope === 'session') {
    ctx.state.setSessionSelection(choice);
  } else {
    const path = g.paths.settings[scope];
    if (!path) {
      throw new ServerError('ConfigInvalid', 'this project is your home folder, which has no workspace settings of its own', {
        hint: 'choose the user scope',
      });
    }
    if (scope === 'workspace' && !g.trust.trusted) {
      throw new ServerError('WorkspaceUntrusted', 'this folder is not trusted, so its settings are not applied', {
        hint: 'trust the folder first (workspace/trust), or save the choice in your user settings',
      });
    }
    const written = await editSettingsFile(path, [
      { path: ['model', 'name'], value: model.id },
      { path: ['model', 'baseUrl'], value: persistedBaseUrl(g, model) },
      { path: ['security', 'auth', 'selectedType'], value: model.authType },
    ]);
    warnings.push(...written.warnings);
    persistedTo = path;
    // The person's latest choice replaces their earlier session choice; --model and higher files still win.
    ctx.state.setSessionSelection(undefined);
  }
  const after = await ctx.state.recompute();
  const selected = after.selection ?? { ...choice, source: { layer: 'session' as const } };
  let overriddenBy: Source | undefined;
  if (!sameChoice(selected, choice)) {
    overriddenBy = selected.source;
    warnings.push(overrideWarning(selected.source, scope));
  }
  // Availability after the write: the choice may be what selects an auth type at all.
  const now = after.catalogue.find((m) => sameChoice(m, choice)) ?? model;
  if (!now.available && now.unavailableReason) warnings.push(`selected, but it cannot be used yet: ${now.unavailableReason}`);
  return {
    selected,
    ...(persistedTo ? { persistedTo } : {}),
    ...(overriddenBy ? { overriddenBy } : {}),
    ...(warnings.length > 0 ? { warnings } : {}),
  };
}
