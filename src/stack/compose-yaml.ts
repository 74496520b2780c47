/**
 * A Compose file's YAML as Compose v1 reads it (PyYAML, YAML 1.1: `yes`/`on` booleans, `010`
 * octal, `<<` merge keys), walked into plain values with every string outside `version` and
 * `x-*` interpolated (v1 interpolates each section's values, never keys), and each value's
 * line and column kept for the errors of compose.ts, which validates and normalizes them.
 */
import { Alias, LineCounter, isAlias, isMap, isPair, isScalar, isSeq, parseDocument, type Document, type Node, type ScalarTag } from 'yaml';
import { UserError } from '../errors.js';
import { InterpolationError, interpolate } from './interpolate.js';

/** Where a value sits in the file: keys and list indexes from the top. */
export type Path = readonly PropertyKey[];
const keyOf = (path: Path) => JSON.stringify(path.map(String));

/**
 * PyYAML's booleans (yaml/resolver.py, tag:yaml.org,2002:bool), in place of YAML 1.1's, which
 * also read `y` and `n` as booleans: PyYAML does not, so neither does Compose v1.
 */
const PYYAML_BOOL: ScalarTag = {
  identify: (value) => typeof value === 'boolean',
  default: true,
  tag: 'tag:yaml.org,2002:bool',
  test: /^(?:yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$/,
  resolve: (text) => /^(?:yes|true|on)$/i.test(text),
};

/**
 * PyYAML's floats, in place of the YAML 1.1 ones of the `yaml` package, which also read "."
 * and "1e3" as numbers: PyYAML needs a digit and a dot (yaml/resolver.py, tag:yaml.org,2002:float).
 */
const PYYAML_FLOAT: ScalarTag = {
  identify: (value) => typeof value === 'number',
  default: true,
  tag: 'tag:yaml.org,2002:float',
  test: /^(?:[-+]?[0-9][0-9_]*\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$/,
  resolve: (text) => {
    const t = text.replaceAll('_', '');
    if (/nan$/i.test(t)) return NaN;
    if (/inf$/i.test(t)) return t.startsWith('-') ? -Infinity : Infinity;
    if (!t.includes(':')) return Number(t);
    const sign = t.startsWith('-') ? -1 : 1;
    return sign * t.replace(/^[-+]/, '').split(':').reduce((total, part) => total * 60 + Number(part), 0);
  },
};

/** A number as Python's str() writes it, which is what Compose v1 passes on: 8, 1.5, 1.0. */
function pythonNumber(value: number, source: string | undefined): string {
  const isFloat = source !== undefined && /[.eE]/.test(source) && !/^[-+]?0x/i.test(source);
  if (!isFloat) return String(value);
  if (!Number.isFinite(value)) return Number.isNaN(value) ? 'nan' : value > 0 ? 'inf' : '-inf';
  return Number.isInteger(value) && Math.abs(value) < 1e16 ? `${value}.0` : String(value);
}

/** Where each value of the file was written, for errors that name its line and column. */
export interface Located {
  /** The usual fix: the README's keys, and `stack config`. */
  fix: string;
  /** Where the key `path` ends in was written (its value's place when it has no key). */
  at(path: Path): string;
  /** A UserError at the value `path` names. */
  fail(path: Path, message: string, how?: string): never;
  /** A scalar as Compose v1 passes it on: numbers as Python's str() writes them, booleans True/False. */
  text(path: Path, value: string | number | boolean): string;
}

/** The YAML of `text` as plain values, interpolated; every string outside `version` and `x-*`, never keys (v1). */
export function readYaml(text: string, file: string, lookup: (name: string) => string | undefined): { raw: unknown; located: Located; unset: Set<string> } {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, {
    lineCounter,
    version: '1.1',
    merge: true,
    uniqueKeys: true,
    prettyErrors: false,
    customTags: (tags) => [...tags.filter((t) => (typeof t === 'string' ? !/^(bool|float)/.test(t) : t.tag !== PYYAML_BOOL.tag && t.tag !== PYYAML_FLOAT.tag)), PYYAML_BOOL, PYYAML_FLOAT],
  });
  const where = (offset: number | undefined) => {
    const { line, col } = lineCounter.linePos(offset ?? 0);
    return `${file}:${line}:${col}`;
  };
  const fix = `Edit ${file}: richie-dev reads the Compose keys its README lists; "richie-dev stack config" shows what it read.`;
  if (doc.errors.length) {
    const error = doc.errors[0]!;
    throw new UserError(`${where(error.pos[0])}: ${error.message.split('\n')[0]}`, { fix: `Fix the YAML in ${file}.` });
  }

  const { raw, valueAt, keyAt, numberText, unset } = walkYaml(doc, lookup, where, fix);

  const closest = (path: Path): number | undefined => {
    for (let i = path.length - 1; i >= 0; i--) {
      const k = keyOf(path.slice(0, i));
      const found = valueAt.get(k) ?? keyAt.get(k);
      if (found !== undefined) return found;
    }
    return 0;
  };
  const located: Located = {
    fix,
    at: (path) => where(keyAt.get(keyOf(path)) ?? valueAt.get(keyOf(path)) ?? closest(path)),
    fail: (path, message, how = fix) => {
      throw new UserError(`${where(valueAt.get(keyOf(path)) ?? keyAt.get(keyOf(path)) ?? closest(path))}: ${message}`, { fix: how });
    },
    text: (path, value) => (typeof value === 'number' ? pythonNumber(value, numberText.get(keyOf(path))) : typeof value === 'boolean' ? (value ? 'True' : 'False') : value),
  };
  return { raw, located, unset };
}

/** The document as plain values (interpolated where `expand`), and where each value and each key starts. */
function walkYaml(doc: Document, lookup: (name: string) => string | undefined, where: (offset: number | undefined) => string, fix: string) {
  const valueAt = new Map<string, number>();
  const keyAt = new Map<string, number>();
  const numberText = new Map<string, string>();
  const unset = new Set<string>();
  const walk = (node: unknown, path: Path, expand: boolean): unknown => {
    if (isAlias(node)) return walk((node as Alias).resolve(doc as Document), path, expand);
    const n = node as Node | null | undefined;
    if (n?.range) valueAt.set(keyOf(path), n.range[0]);
    if (isMap(node)) {
      const out: Record<string, unknown> = {};
      const merged: Record<string, unknown> = {};
      for (const pair of node.items) {
        if (!isPair(pair)) continue;
        const k = isScalar(pair.key) ? pair.key.value : pair.key;
        if (k === '<<' || (typeof k === 'symbol' && k.description === '<<')) {
          // YAML 1.1 merge keys (PyYAML honours them): earlier sources and the map's own keys win.
          const sources = isSeq(pair.value) ? pair.value.items : [pair.value];
          for (const source of sources) {
            const value = walk(source, path, expand);
            if (value && typeof value === 'object' && !Array.isArray(value)) for (const [mk, mv] of Object.entries(value)) if (!(mk in merged)) merged[mk] = mv;
          }
          continue;
        }
        if (typeof k !== 'string' && typeof k !== 'number') throw new UserError(`${where((pair.key as Node | null)?.range?.[0])}: keys must be plain strings.`, { fix });
        const name = String(k);
        const keyNode = pair.key as Node | null;
        if (keyNode?.range) keyAt.set(keyOf([...path, name]), keyNode.range[0]);
        const topLevelQuiet = path.length === 0 && (name === 'version' || name.startsWith('x-'));
        out[name] = pair.value === null ? null : walk(pair.value, [...path, name], expand && !topLevelQuiet);
        if (pair.value === null && keyNode?.range) valueAt.set(keyOf([...path, name]), keyNode.range[0]);
      }
      for (const [mk, mv] of Object.entries(merged)) if (!(mk in out)) out[mk] = mv;
      return out;
    }
    if (isSeq(node)) return node.items.map((item, i) => walk(item, [...path, i], expand));
    if (isScalar(node)) {
      const value = node.value;
      if (typeof value === 'number' && node.source !== undefined) numberText.set(keyOf(path), String(node.source));
      if (typeof value !== 'string' || !expand) return value;
      try {
        const result = interpolate(value, lookup);
        for (const name of result.unset) unset.add(name);
        return result.value;
      } catch (error) {
        if (!(error instanceof InterpolationError)) throw error;
        const quoted = node.type === 'QUOTE_DOUBLE' || node.type === 'QUOTE_SINGLE' ? 1 : 0;
        const offset = node.type === 'PLAIN' || quoted ? node.range![0] + quoted + error.offset : node.range![0];
        throw new UserError(`${where(offset)}: ${error.message}`, { fix: error.fix });
      }
    }
    return node === null || node === undefined ? null : node;
  };
  return { raw: walk(doc.contents, [], true), valueAt, keyAt, numberText, unset };
}
