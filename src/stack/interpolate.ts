/**
 * The text-level rules a Compose file is read with: variable interpolation, the `.env` file
 * beside it, and the shell-like word splitting of a `command` written as a string. Pure
 * functions; errors are `InterpolationError`s carrying an offset, which the reader turns into a
 * line and column.
 */

/** A problem at `offset` (in the text being interpolated or split). */
export class InterpolationError extends Error {
  constructor(
    message: string,
    readonly offset: number,
    readonly fix: string,
  ) {
    super(message);
    this.name = 'InterpolationError';
  }
}

const NAME = /[_A-Za-z][_A-Za-z0-9]*/y;

export interface InterpolateResult {
  value: string;
  /** Variables read with `$V`/`${V}` that are not set (Compose uses "" and warns). */
  unset: string[];
}

/**
 * Compose interpolation: `$$`, `$V`, `${V}`, `${V-d}`, `${V:-d}`, `${V?e}`, `${V:?e}`.
 * The forms and their meaning are docker/compose v1's (compose/config/interpolation.py,
 * `TemplateWithDefaults.process_braced_group`): `-` applies when the variable is unset, `:-`
 * also when it is empty; `?`/`:?` fail the same way with the message after them. A default
 * may itself hold `${...}` (compose-spec's interpolation section, compose-go's template
 * package); v1 stops the default at the first `}`, so nested defaults are compose-spec's
 * reading. Any other `$` is an error, as in v1 (`InvalidInterpolation`).
 */
export function interpolate(text: string, lookup: (name: string) => string | undefined): InterpolateResult {
  const unset: string[] = [];
  const value = substitute(text, 0, text.length, lookup, unset);
  return { value, unset };
}

function substitute(text: string, from: number, to: number, lookup: (name: string) => string | undefined, unset: string[]): string {
  let out = '';
  let at = from;
  while (at < to) {
    const dollar = text.indexOf('$', at);
    if (dollar === -1 || dollar >= to) {
      out += text.slice(at, to);
      break;
    }
    out += text.slice(at, dollar);
    const next = text[dollar + 1];
    if (next === '$') {
      out += '$';
      at = dollar + 2;
      continue;
    }
    if (next === '{') {
      const close = matchingBrace(text, dollar + 2, to);
      if (close === -1) throw invalid(text, dollar, 'has no closing "}"');
      out += braced(text, dollar, dollar + 2, close, lookup, unset);
      at = close + 1;
      continue;
    }
    NAME.lastIndex = dollar + 1;
    const name = NAME.exec(text)?.[0];
    if (!name || dollar + 1 + name.length > to) throw invalid(text, dollar, 'is not followed by a variable name');
    const found = lookup(name);
    if (found === undefined) unset.push(name);
    out += found ?? '';
    at = dollar + 1 + name.length;
  }
  return out;
}

/** The index of the `}` closing a `${` whose body starts at `from`, counting nested `${`. */
function matchingBrace(text: string, from: number, to: number): number {
  let depth = 0;
  for (let i = from; i < to; i++) {
    const c = text[i];
    if (c === '$' && text[i + 1] === '$') i++;
    else if (c === '$' && text[i + 1] === '{') (depth++, i++);
    else if (c === '}') {
      if (depth === 0) return i;
      depth--;
    }
  }
  return -1;
}

function braced(text: string, dollar: number, from: number, close: number, lookup: (name: string) => string | undefined, unset: string[]): string {
  NAME.lastIndex = from;
  const name = NAME.exec(text)?.[0];
  if (!name || from + name.length > close) throw invalid(text, dollar, 'needs a variable name inside "${...}"');
  const after = from + name.length;
  const op = /^(:-|-|:\?|\?)/.exec(text.slice(after, close))?.[0];
  if (after !== close && !op) throw invalid(text, dollar, `uses "${text.slice(after, close)}", which Compose does not know (use -, :-, ? or :?)`);
  const found = lookup(name);
  if (!op) {
    if (found === undefined) unset.push(name);
    return found ?? '';
  }
  const restFrom = after + op.length;
  const missing = op.startsWith(':') ? found === undefined || found === '' : found === undefined;
  if (!missing) return found!;
  const rest = substitute(text, restFrom, close, lookup, unset);
  if (op.endsWith('-')) return rest;
  throw new InterpolationError(`required variable ${name} is ${found === undefined ? 'not set' : 'empty'}: ${rest || name}`, dollar, `Set ${name} in the environment or in the .env file beside the stack file.`);
}

function invalid(text: string, at: number, what: string): InterpolationError {
  return new InterpolationError(`invalid interpolation: "$" at "${text.slice(at, at + 12)}" ${what}`, at, 'Write "$$" for a literal "$".');
}

/**
 * Shell-like word splitting of a string `command`, as Compose v1 does it: docker-py's
 * `utils.split_command` is `shlex.split` (POSIX mode): whitespace separates words, '...'
 * keeps everything, "..." lets a backslash escape only `"` and `\`, an unquoted backslash
 * escapes any character. No variables, globs or comments: no shell is involved.
 */
export function splitCommand(text: string): string[] {
  const words: string[] = [];
  let word: string | null = null;
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      if (word !== null) words.push(word);
      word = null;
      i++;
    } else if (c === "'") {
      const end = text.indexOf("'", i + 1);
      if (end === -1) throw new InterpolationError('no closing quotation (\')', i, 'Close the quote, or write the command as a list.');
      word = (word ?? '') + text.slice(i + 1, end);
      i = end + 1;
    } else if (c === '"') {
      let j = i + 1;
      let part = '';
      for (;;) {
        if (j >= text.length) throw new InterpolationError('no closing quotation (")', i, 'Close the quote, or write the command as a list.');
        const d = text[j]!;
        if (d === '"') break;
        if (d === '\\' && (text[j + 1] === '"' || text[j + 1] === '\\')) {
          part += text[j + 1];
          j += 2;
        } else {
          part += d;
          j++;
        }
      }
      word = (word ?? '') + part;
      i = j + 1;
    } else if (c === '\\') {
      if (i + 1 >= text.length) throw new InterpolationError('no escaped character after "\\"', i, 'Remove the trailing backslash.');
      word = (word ?? '') + text[i + 1];
      i += 2;
    } else {
      word = (word ?? '') + c;
      i++;
    }
  }
  if (word !== null) words.push(word);
  return words;
}

/**
 * A `.env` file as Compose v1 reads it (python-dotenv 0.21's `dotenv_values`, Debian's):
 * `KEY=value` lines, an optional `export `, `#` comments, '...' (with `\'` and `\\`), "..."
 * (with `\n`, `\t`, `\"`, `\\`...), an unquoted value ending before ` #`. `${V}` and `${V:-d}`
 * are resolved in every value, single-quoted ones included (python-dotenv 1.x and compose-go
 * leave those literal; the oracle here is Debian's v1), from the lines above, then `lookup`.
 * A quoted value spanning lines is not supported. A line with a
 * key and no `=` sets nothing. Returns each key with the 1-based line it came from. Compose v1
 * reads both the `.env` beside the file and every `env_file` this way
 * (compose/config/environment.py, env_vars_from_file).
 */
export function parseDotEnv(text: string, lookup: (name: string) => string | undefined): Map<string, { value: string; line: number }> {
  const out = new Map<string, { value: string; line: number }>();
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  for (let n = 0; n < lines.length; n++) {
    const line = lines[n]!.trim();
    if (!line || line.startsWith('#')) continue;
    const match = /^(?:export\s+)?([^=\s]+)\s*=\s*(.*)$/.exec(line);
    if (!match) continue;
    const key = match[1]!;
    const raw = match[2]!;
    // python-dotenv's parser.py: the quoted forms and the escapes each one decodes.
    const single = /^'((?:\\'|[^'])*)'/.exec(raw);
    const double = /^"((?:\\"|[^"])*)"/.exec(raw);
    let value: string;
    if (single) value = single[1]!.replace(/\\([\\'])/g, '$1');
    else if (double) value = double[1]!.replace(/\\([\\'"abfnrtv])/g, (_, e: string) => ({ a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v' })[e] ?? e);
    else value = raw.replace(/\s+#.*$/, '').trim();
    // python-dotenv's variables.py: the default applies only when the name is unset (even
    // with ":-"), and the file's earlier lines win over the environment (override=True).
    value = value.replace(/\$\{([^}:]*)(?::-([^}]*))?\}/g, (_, name: string, fallback: string | undefined) => out.get(name)?.value ?? lookup(name) ?? fallback ?? '');
    out.set(key, { value, line: n + 1 });
  }
  return out;
}

/** An `env_file`'s variables as Compose reads them (see parseDotEnv), `${V}` from `lookup`. */
export function envFileValues(text: string, lookup: (name: string) => string | undefined = (name) => process.env[name]): Record<string, string> {
  return Object.fromEntries([...parseDotEnv(text, lookup)].map(([key, { value }]) => [key, value]));
}
