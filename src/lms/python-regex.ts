/**
 * Python `re` patterns, parsed as Python 3.11 parses them and rewritten as JavaScript.
 *
 * Richie applies COURSE_REGEX with Python's `re.match` (richie
 * `src/richie/apps/courses/lms/__init__.py` `select_lms`, `lms/edx.py` `extract_course_id`):
 * anchored at the start of the URL, not at its end, with Python's syntax and meanings. richie-dev
 * runs on Node without Python, so it parses the pattern the way CPython's `Lib/re/_parser.py`
 * does (same refusals, same group numbering, same width rule for lookbehinds from
 * `_compiler.py`), and emits either
 *  - an exact JavaScript equivalent under `re.match` ({@link toMatchRegExp}, flag `u`), or
 *  - the readable, flagless counterpart Richie's front end can use as JS_COURSE_REGEX
 *    ({@link toFrontEndRegExp}).
 * Whatever it cannot reproduce faithfully it refuses with kind "unsupported", never guesses.
 *
 * Section names below are those of Python's documentation, "re — Regular expression operations":
 * "Regular Expression Syntax", "Flags", "Module Contents".
 */

/** Why a pattern is refused: Python itself rejects it, or richie-dev cannot reproduce it. */
export class PythonPatternError extends Error {
  constructor(
    readonly kind: 'invalid' | 'unsupported',
    message: string,
    /** Position in code points, as Python reports it (invalid only). */
    readonly position?: number,
  ) {
    super(message);
    this.name = 'PythonPatternError';
  }
}

interface Flags {
  /** re.IGNORECASE */
  i: boolean;
  /** re.MULTILINE */
  m: boolean;
  /** re.DOTALL */
  s: boolean;
  /** re.VERBOSE */
  x: boolean;
  /** re.ASCII (else Unicode matching, the default for str patterns) */
  a: boolean;
}

type Category = 'd' | 'D' | 's' | 'S' | 'w' | 'W';
type SetItem = { k: 'range'; lo: number; hi: number } | { k: 'cat'; cat: Category };

export type Node =
  | { k: 'seq'; items: Node[] }
  | { k: 'alt'; branches: Node[] }
  | { k: 'char'; cp: number; f: Flags }
  | { k: 'set'; negate: boolean; items: SetItem[]; f: Flags }
  | { k: 'any'; f: Flags }
  | { k: 'at'; at: 'begin' | 'end' | 'beginString' | 'endString' | 'boundary' | 'nonBoundary'; f: Flags }
  | { k: 'group'; index: number | null; name: string | null; body: Node }
  | { k: 'look'; behind: boolean; negate: boolean; body: Node }
  | { k: 'ref'; index: number; f: Flags }
  | { k: 'repeat'; min: number; max: number; lazy: boolean; possessive?: boolean; body: Node };

export interface ParsedPattern {
  pattern: string;
  root: Node;
  /** Group name → group number, as Python's `Pattern.groupindex`. */
  groupIndex: Map<string, number>;
  groupCount: number;
}

/** sre's MAXREPEAT on 64-bit CPython: a repeat bound of this value means "no limit". */
const MAXREPEAT = 4294967295;
const DIGITS = '0123456789';
const OCTDIGITS = '01234567';
const HEXDIGITS = '0123456789abcdefABCDEF';
const ASCIILETTERS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';
const WHITESPACE = ' \t\n\r\v\f';
const SPECIAL_CHARS = '.\\[{()*+?^$|';
const REPEAT_CHARS = '*+?{';
const FLAG_LETTERS = 'aiLmsuxt';
/** `_parser.py` ESCAPES: the escapes that stand for one character everywhere. */
const ESCAPES: Record<string, number> = { '\\a': 7, '\\b': 8, '\\f': 12, '\\n': 10, '\\r': 13, '\\t': 9, '\\v': 11, '\\\\': 92 };

/** `_parser.py` Tokenizer: code points, with `\` and the next one read as one token. */
class Source {
  private readonly chars: string[];
  index = 0;
  next: string | undefined;
  /** The first construct Python accepts but richie-dev cannot reproduce; reported after the parse, so Python's own errors win. */
  unsupported: string | undefined;
  unsupport(what: string): void {
    this.unsupported ??= what;
  }
  constructor(pattern: string) {
    this.chars = Array.from(pattern);
    this.advance();
  }
  private advance(): void {
    let index = this.index;
    let char = this.chars[index];
    if (char === undefined) {
      this.next = undefined;
      return;
    }
    if (char === '\\') {
      index += 1;
      const following = this.chars[index];
      if (following === undefined) throw new PythonPatternError('invalid', 'bad escape (end of pattern)', this.chars.length - 1);
      char += following;
    }
    this.index = index + 1;
    this.next = char;
  }
  match(char: string): boolean {
    if (char === this.next) {
      this.advance();
      return true;
    }
    return false;
  }
  get(): string | undefined {
    const current = this.next;
    this.advance();
    return current;
  }
  getwhile(n: number, charset: string): string {
    let result = '';
    for (let i = 0; i < n; i++) {
      const c = this.next;
      if (c === undefined || c.length !== 1 || !charset.includes(c)) break;
      result += c;
      this.advance();
    }
    return result;
  }
  getuntil(terminator: string, name: string): string {
    let result = '';
    for (;;) {
      const c = this.next;
      this.advance();
      if (c === undefined) {
        if (!result) throw this.error(`missing ${name}`);
        throw this.error(`missing ${terminator}, unterminated name`, Array.from(result).length);
      }
      if (c === terminator) {
        if (!result) throw this.error(`missing ${name}`, 1);
        break;
      }
      result += c;
    }
    return result;
  }
  tell(): number {
    return this.index - (this.next === undefined ? 0 : Array.from(this.next).length);
  }
  seek(index: number): void {
    this.index = index;
    this.advance();
  }
  error(message: string, offset = 0): PythonPatternError {
    return new PythonPatternError('invalid', message, this.tell() - offset);
  }
}

type Width = [number, number];

/** `_parser.py` State: groups opened so far, their widths once closed, the lookbehind fence. */
class State {
  flags: Flags = { i: false, m: false, s: false, x: false, a: false };
  /** Set by a global (?u): with (?a) too, Python refuses the pattern ("Flags"). */
  unicodeFlag = false;
  groupWidths: (Width | null)[] = [null];
  groupIndex = new Map<string, number>();
  lookbehindGroups: number | null = null;
  /** Group numbers named by (?(n)...), checked once the whole pattern is read (`parse()`). */
  conditionalRefs: [number, number][] = [];
  /** (?t), re.TEMPLATE: deprecated, and sre_compile refuses any repeat under it. */
  template = false;
  get groups(): number {
    return this.groupWidths.length;
  }
  checkGroup(gid: number): boolean {
    return gid < this.groups && this.groupWidths[gid] !== null;
  }
  checkLookbehindGroup(gid: number, source: Source): void {
    if (this.lookbehindGroups !== null) {
      if (!this.checkGroup(gid)) throw source.error('cannot refer to an open group');
      if (gid >= this.lookbehindGroups) throw source.error('cannot refer to group defined in the same lookbehind subpattern');
    }
  }
}

/** A Python identifier, as `str.isidentifier()` decides for the ASCII names richie-dev supports. */
function checkGroupName(source: Source, name: string, offset: number): void {
  if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) return;
  // Python takes any Unicode identifier (XID_Start XID_Continue*); JavaScript's group names differ
  // in details richie-dev does not model, so those are "unsupported", the rest invalid.
  if (/^[\p{L}\p{Nl}_][\p{L}\p{Nl}\p{Mn}\p{Mc}\p{Nd}\p{Pc}]*$/u.test(name)) {
    throw new PythonPatternError('unsupported', `a group name with non-ASCII letters (${name})`);
  }
  throw source.error(`bad character in group name '${name}'`, Array.from(name).length + offset);
}

/** Parse a pattern exactly as `re.compile(pattern)` would, or throw why Python refuses it. */
export function parsePython(pattern: string): ParsedPattern {
  const source = new Source(pattern);
  const state = new State();
  const root = parseSub(source, state, false, 0);
  if (source.next !== undefined) throw source.error('unbalanced parenthesis');
  // fix_flags(): str patterns cannot be both ASCII and UNICODE.
  for (const [g, position] of state.conditionalRefs) {
    if (g >= state.groups) throw new PythonPatternError('invalid', `invalid group reference ${g}`, position);
  }
  if (state.flags.a && state.unicodeFlag) throw new PythonPatternError('invalid', 'ASCII and UNICODE flags are incompatible');
  checkLookbehinds(root, state);
  if (state.template) {
    const repeat = firstRepeat(root);
    if (repeat) throw new PythonPatternError('invalid', `internal: unsupported template operator ${repeat.lazy ? 'MIN_REPEAT' : repeat.possessive ? 'POSSESSIVE_REPEAT' : 'MAX_REPEAT'}`);
  }
  if (source.unsupported !== undefined) throw new PythonPatternError('unsupported', source.unsupported);
  return { pattern, root, groupIndex: state.groupIndex, groupCount: state.groups - 1 };
}

/** `_parse_sub`: alternatives separated by `|`. */
function parseSub(source: Source, state: State, verbose: boolean, nested: number, scoped?: Flags): Node {
  const branches: Node[] = [];
  for (;;) {
    branches.push(parseSeq(source, state, verbose, nested + 1, nested === 0 && branches.length === 0, scoped));
    if (!source.match('|')) break;
    if (nested === 0) verbose = state.flags.x;
  }
  return branches.length === 1 ? branches[0]! : { k: 'alt', branches };
}

/** `_parse`: one alternative. `scoped` are the flags of an enclosing (?flags:...) group. */
function parseSeq(source: Source, state: State, verbose: boolean, nested: number, first: boolean, scoped?: Flags): Node {
  const items: Node[] = [];
  // Global flags can only come first, so reading them live gives each node the pattern's flags.
  const flags = (): Flags => scoped ?? { ...state.flags };
  for (;;) {
    const that = source.next;
    if (that === undefined || that === '|' || that === ')') break;
    source.get();
    if (verbose) {
      if (WHITESPACE.includes(that)) continue;
      if (that === '#') {
        for (;;) {
          const c = source.get();
          if (c === undefined || c === '\n') break;
        }
        continue;
      }
    }
    if (that[0] === '\\') {
      items.push(parseEscape(source, that, state, flags()));
    } else if (!SPECIAL_CHARS.includes(that)) {
      items.push({ k: 'char', cp: that.codePointAt(0)!, f: flags() });
    } else if (that === '[') {
      items.push(parseSet(source, flags()));
    } else if (REPEAT_CHARS.includes(that)) {
      const here = source.tell();
      let min: number;
      let max: number;
      if (that === '?') [min, max] = [0, 1];
      else if (that === '*') [min, max] = [0, MAXREPEAT];
      else if (that === '+') [min, max] = [1, MAXREPEAT];
      else {
        // "{m,n}"; anything else starting with "{" is a literal "{" (Regular Expression Syntax).
        if (source.next === '}') {
          items.push({ k: 'char', cp: 0x7b, f: flags() });
          continue;
        }
        [min, max] = [0, MAXREPEAT];
        let lo = '';
        let hi = '';
        while (source.next !== undefined && DIGITS.includes(source.next) && source.next.length === 1) lo += source.get();
        if (source.match(',')) {
          while (source.next !== undefined && DIGITS.includes(source.next) && source.next.length === 1) hi += source.get();
        } else hi = lo;
        if (!source.match('}')) {
          items.push({ k: 'char', cp: 0x7b, f: flags() });
          source.seek(here);
          continue;
        }
        if (lo) {
          min = Number(lo);
          if (min >= MAXREPEAT) throw new PythonPatternError('invalid', 'the repetition number is too large');
        }
        if (hi) {
          max = Number(hi);
          if (max >= MAXREPEAT) throw new PythonPatternError('invalid', 'the repetition number is too large');
          if (max < min) throw source.error('min repeat greater than max repeat', source.tell() - here);
        }
      }
      const item = items[items.length - 1];
      if (item === undefined || item.k === 'at') throw source.error('nothing to repeat', source.tell() - here + 1);
      if (item.k === 'repeat') throw source.error('multiple repeat', source.tell() - here + 1);
      let lazy = false;
      let possessive = false;
      if (source.match('?')) lazy = true;
      else if (source.match('+')) {
        possessive = true;
        source.unsupport('a possessive quantifier (*+, ++, ?+, {m,n}+), which JavaScript has no equivalent for');
      }
      items[items.length - 1] = { k: 'repeat', min, max, lazy, possessive, body: item };
    } else if (that === '.') {
      items.push({ k: 'any', f: flags() });
    } else if (that === '(') {
      const node = parseGroup(source, state, verbose, nested, first && items.length === 0, flags());
      if (node === 'flags') {
        verbose = state.flags.x;
        continue;
      }
      if (node !== null) items.push(node);
    } else if (that === '^') {
      items.push({ k: 'at', at: 'begin', f: flags() });
    } else if (that === '$') {
      items.push({ k: 'at', at: 'end', f: flags() });
    }
  }
  return items.length === 1 ? items[0]! : { k: 'seq', items };
}

/** A `(` construct: a group, an assertion, a comment (null) or global flags ('flags'). */
function parseGroup(source: Source, state: State, verbose: boolean, nested: number, canSetGlobal: boolean, outer: Flags): Node | null | 'flags' {
  const start = source.tell() - 1;
  let capture = true;
  let name: string | null = null;
  let scoped: Flags | undefined;
  if (source.match('?')) {
    const char = source.get();
    if (char === undefined) throw source.error('unexpected end of pattern');
    if (char === 'P') {
      if (source.match('<')) {
        name = source.getuntil('>', 'group name');
        checkGroupName(source, name, 1);
      } else if (source.match('=')) {
        const refName = source.getuntil(')', 'group name');
        checkGroupName(source, refName, 1);
        const gid = state.groupIndex.get(refName);
        if (gid === undefined) throw source.error(`unknown group name '${refName}'`, Array.from(refName).length + 1);
        if (!state.checkGroup(gid)) throw source.error('cannot refer to an open group', Array.from(refName).length + 1);
        state.checkLookbehindGroup(gid, source);
        return { k: 'ref', index: gid, f: outer };
      } else {
        const next = source.get();
        if (next === undefined) throw source.error('unexpected end of pattern');
        throw source.error(`unknown extension ?P${next}`, next.length + 2);
      }
    } else if (char === ':') {
      capture = false;
    } else if (char === '#') {
      for (;;) {
        if (source.next === undefined) throw source.error('missing ), unterminated comment', source.tell() - start);
        if (source.get() === ')') break;
      }
      return null;
    } else if (char === '=' || char === '!' || char === '<') {
      let behind = false;
      let kind = char;
      let savedFence: number | null = null;
      if (char === '<') {
        const next = source.get();
        if (next === undefined) throw source.error('unexpected end of pattern');
        if (next !== '=' && next !== '!') throw source.error(`unknown extension ?<${next}`, next.length + 2);
        kind = next;
        behind = true;
        savedFence = state.lookbehindGroups;
        if (savedFence === null) state.lookbehindGroups = state.groups;
      }
      const body = parseSub(source, state, verbose, nested + 1, outer);
      if (behind && savedFence === null) state.lookbehindGroups = null;
      if (!source.match(')')) throw source.error('missing ), unterminated subpattern', source.tell() - start);
      return { k: 'look', behind, negate: kind === '!', body };
    } else if (char === '(') {
      // (?(id/name)yes|no): JavaScript has no conditional; check Python's syntax first.
      const cond = source.getuntil(')', 'group name');
      if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(cond)) {
        if (!state.groupIndex.has(cond)) throw source.error(`unknown group name '${cond}'`, cond.length + 1);
      } else if (!/^[0-9]+$/.test(cond)) {
        throw source.error(`bad character in group name '${cond}'`, Array.from(cond).length + 1);
      } else if (Number(cond) === 0) {
        throw source.error('bad group number', cond.length + 1);
      }
      if (Number(cond) > 0) state.conditionalRefs.push([Number(cond), source.tell() - cond.length - 1]);
      state.checkLookbehindGroup(state.groupIndex.get(cond) ?? Number(cond), source);
      source.unsupport('a conditional group (?(id/name)yes|no), which JavaScript has no equivalent for');
      const yes = parseSeq(source, state, verbose, nested + 1, false, outer);
      let no: Node = { k: 'seq', items: [] };
      if (source.match('|')) {
        no = parseSeq(source, state, verbose, nested + 1, false, outer);
        if (source.next === '|') throw source.error('conditional backref with more than two branches');
      }
      if (!source.match(')')) throw source.error('missing ), unterminated subpattern', source.tell() - start);
      return { k: 'alt', branches: [yes, no] };
    } else if (char === '>') {
      source.unsupport('an atomic group (?>...), which JavaScript has no equivalent for');
      capture = false;
    } else if (FLAG_LETTERS.includes(char) || char === '-') {
      const parsed = parseFlags(source, state, char);
      if (parsed === null) {
        if (!canSetGlobal) throw source.error('global flags not at the start of the expression', source.tell() - start);
        return 'flags';
      }
      capture = false;
      scoped = { ...outer };
      for (const f of parsed.add) {
        if (f === 'a') scoped.a = true;
        else if (f === 'u') scoped.a = false;
        else scoped[f as 'i' | 'm' | 's' | 'x'] = true;
      }
      for (const f of parsed.del) scoped[f as 'i' | 'm' | 's' | 'x'] = false;
    } else {
      throw source.error(`unknown extension ?${char}`, char.length + 1);
    }
  }
  let index: number | null = null;
  if (capture) {
    index = state.groups;
    state.groupWidths.push(null);
    if (name !== null) {
      const other = state.groupIndex.get(name);
      if (other !== undefined) throw source.error(`redefinition of group name '${name}' as group ${index}; was group ${other}`, name.length + 1);
      state.groupIndex.set(name, index);
    }
  }
  const subVerbose = scoped ? scoped.x : verbose;
  const body = parseSub(source, state, subVerbose, nested + 1, scoped ?? outer);
  if (!source.match(')')) throw source.error('missing ), unterminated subpattern', source.tell() - start);
  if (index !== null) state.groupWidths[index] = width(body, state);
  return { k: 'group', index, name, body };
}

/** `_parse_flags`: null for global flags "(?aimsux)", else the scoped additions and removals. */
function parseFlags(source: Source, state: State, first: string): { add: string[]; del: string[] } | null {
  const add: string[] = [];
  const del: string[] = [];
  let char: string | undefined = first;
  if (char !== '-') {
    for (;;) {
      if (char === 'L') throw source.error("bad inline flags: cannot use 'L' flag with a str pattern");
      add.push(char);
      const types = add.filter((f) => f === 'a' || f === 'u');
      if ((char === 'a' || char === 'u') && new Set(types).size > 1) throw source.error("bad inline flags: flags 'a', 'u' and 'L' are incompatible");
      char = source.get();
      if (char === undefined) throw source.error('missing -, : or )');
      if (char === ')' || char === '-' || char === ':') break;
      if (!FLAG_LETTERS.includes(char)) throw source.error(/^\p{L}$/u.test(char) ? 'unknown flag' : 'missing -, : or )', char.length);
    }
  }
  if (char === ')') {
    // Global flags: "(?x)" at the start applies to the whole pattern (Regular Expression Syntax, "(?aiLmsux)").
    for (const f of add) {
      if (f === 't') {
        state.template = true;
        source.unsupport('the template flag (?t), deprecated and undocumented');
      }
      if (f === 'u') state.unicodeFlag = true;
      else state.flags[f as keyof Flags] = true;
    }
    return null;
  }
  if (add.includes('t')) throw source.error('bad inline flags: cannot turn on global flag', 1);
  if (char === '-') {
    char = source.get();
    if (char === undefined) throw source.error('missing flag');
    if (!FLAG_LETTERS.includes(char)) throw source.error(/^\p{L}$/u.test(char) ? 'unknown flag' : 'missing flag', char.length);
    for (;;) {
      if (char === 'a' || char === 'u' || char === 'L') throw source.error("bad inline flags: cannot turn off flags 'a', 'u' and 'L'");
      del.push(char);
      char = source.get();
      if (char === undefined) throw source.error('missing :');
      if (char === ':') break;
      if (!FLAG_LETTERS.includes(char)) throw source.error(/^\p{L}$/u.test(char) ? 'unknown flag' : 'missing :', char.length);
    }
  }
  if (del.includes('t')) throw source.error('bad inline flags: cannot turn off global flag', 1);
  if (add.some((f) => del.includes(f))) throw source.error('bad inline flags: flag turned on and off', 1);
  return { add, del };
}

const CATEGORIES: Record<string, Category | 'A' | 'Z' | 'b' | 'B'> = {
  '\\A': 'A', '\\Z': 'Z', '\\b': 'b', '\\B': 'B', '\\d': 'd', '\\D': 'D', '\\s': 's', '\\S': 'S', '\\w': 'w', '\\W': 'W',
};

/** The escapes that give one character in both places (`_escape` and `_class_escape`). */
function characterEscape(source: Source, escape: string): number | undefined {
  const c = escape[1]!;
  const fixed = (n: number, label: string): number => {
    const digits = source.getwhile(n, HEXDIGITS);
    if (digits.length !== n) throw source.error(`incomplete escape ${escape}${digits}`, 2 + digits.length);
    const value = parseInt(digits, 16);
    if (label === 'U' && value > 0x10ffff) throw source.error(`bad escape ${escape}${digits}`, 2 + digits.length);
    return value;
  };
  if (c === 'x') return fixed(2, 'x');
  if (c === 'u') return fixed(4, 'u');
  if (c === 'U') return fixed(8, 'U');
  if (c === 'N') {
    // \N{name} needs the Unicode name database (unicodedata), which Node does not carry.
    if (!source.match('{')) throw source.error('missing {');
    source.getuntil('}', 'character name');
    source.unsupport('a named character escape \\N{...}: richie-dev has no Unicode name table to resolve it (write the character itself, or \\uXXXX)');
    return 0x3f;
  }
  return undefined;
}

/** `_escape`: an escape outside a character class. */
function parseEscape(source: Source, escape: string, state: State, f: Flags): Node {
  const category = CATEGORIES[escape];
  if (category !== undefined) {
    if (category === 'A') return { k: 'at', at: 'beginString', f };
    if (category === 'Z') return { k: 'at', at: 'endString', f };
    if (category === 'b') return { k: 'at', at: 'boundary', f };
    if (category === 'B') return { k: 'at', at: 'nonBoundary', f };
    return { k: 'set', negate: false, items: [{ k: 'cat', cat: category }], f };
  }
  const fixed = ESCAPES[escape];
  if (fixed !== undefined) return { k: 'char', cp: fixed, f };
  const c = escape[1]!;
  const char = characterEscape(source, escape);
  if (char !== undefined) return { k: 'char', cp: char, f };
  if (c === '0') {
    const digits = source.getwhile(2, OCTDIGITS);
    return { k: 'char', cp: parseInt(`0${digits}`, 8), f };
  }
  if (DIGITS.includes(c)) {
    // An octal escape or a group reference ("\number" in Regular Expression Syntax).
    let text = escape;
    if (source.next !== undefined && source.next.length === 1 && DIGITS.includes(source.next)) {
      text += source.get();
      if (OCTDIGITS.includes(text[1]!) && OCTDIGITS.includes(text[2]!) && source.next !== undefined && source.next.length === 1 && OCTDIGITS.includes(source.next)) {
        text += source.get();
        const value = parseInt(text.slice(1), 8);
        if (value > 0o377) throw source.error(`octal escape value ${text} outside of range 0-0o377`, text.length);
        return { k: 'char', cp: value, f };
      }
    }
    const group = Number(text.slice(1));
    if (group < state.groups) {
      if (!state.checkGroup(group)) throw source.error('cannot refer to an open group', text.length);
      state.checkLookbehindGroup(group, source);
      return { k: 'ref', index: group, f };
    }
    throw source.error(`invalid group reference ${group}`, text.length - 1);
  }
  if (ASCIILETTERS.includes(c)) throw source.error(`bad escape ${escape}`, 2);
  return { k: 'char', cp: escape.codePointAt(1)!, f };
}

/** `_class_escape`: an escape inside `[...]`: a character, or a category like `\d`. */
function parseClassEscape(source: Source, escape: string): SetItem | number {
  const fixed = ESCAPES[escape];
  if (fixed !== undefined) return fixed;
  const category = CATEGORIES[escape];
  if (category !== undefined && category !== 'A' && category !== 'Z' && category !== 'b' && category !== 'B') return { k: 'cat', cat: category };
  const c = escape[1]!;
  const char = characterEscape(source, escape);
  if (char !== undefined) return char;
  if (OCTDIGITS.includes(c)) {
    const text = escape + source.getwhile(2, OCTDIGITS);
    const value = parseInt(text.slice(1), 8);
    if (value > 0o377) throw source.error(`octal escape value ${text} outside of range 0-0o377`, text.length);
    return value;
  }
  if (!DIGITS.includes(c) && !ASCIILETTERS.includes(c)) return escape.codePointAt(1)!;
  throw source.error(`bad escape ${escape}`, 2);
}

/** A character set `[...]`, read as `_parse` reads it. */
function parseSet(source: Source, f: Flags): Node {
  const here = source.tell() - 1;
  const items: SetItem[] = [];
  const negate = source.match('^');
  const unterminated = () => source.error('unterminated character set', source.tell() - here);
  for (;;) {
    const that = source.get();
    if (that === undefined) throw unterminated();
    // "]" first in the set is a literal (Regular Expression Syntax, "[]").
    if (that === ']' && items.length > 0) break;
    const code1: SetItem | number = that[0] === '\\' ? parseClassEscape(source, that) : that.codePointAt(0)!;
    if (source.match('-')) {
      const other = source.get();
      if (other === undefined) throw unterminated();
      if (other === ']') {
        items.push(typeof code1 === 'number' ? { k: 'range', lo: code1, hi: code1 } : code1);
        items.push({ k: 'range', lo: 0x2d, hi: 0x2d });
        break;
      }
      const code2: SetItem | number = other[0] === '\\' ? parseClassEscape(source, other) : other.codePointAt(0)!;
      if (typeof code1 !== 'number' || typeof code2 !== 'number' || code2 < code1) {
        throw source.error(`bad character range ${that}-${other}`, that.length + 1 + other.length);
      }
      items.push({ k: 'range', lo: code1, hi: code2 });
    } else {
      items.push(typeof code1 === 'number' ? { k: 'range', lo: code1, hi: code1 } : code1);
    }
  }
  return { k: 'set', negate, items, f };
}

/** `SubPattern.getwidth()`: the (min, max) length a node matches, with sre's caps. */
function width(node: Node, state: State): Width {
  let lo = 0;
  let hi = 0;
  const add = ([i, j]: Width) => {
    lo += i;
    hi += j;
  };
  switch (node.k) {
    case 'seq':
      for (const item of node.items) add(width(item, state));
      break;
    case 'alt': {
      let i = MAXREPEAT - 1;
      let j = 0;
      for (const branch of node.branches) {
        const [l, h] = width(branch, state);
        i = Math.min(i, l);
        j = Math.max(j, h);
      }
      add([i, j]);
      break;
    }
    case 'group':
      add(width(node.body, state));
      break;
    case 'repeat': {
      const [i, j] = width(node.body, state);
      add([i * node.min, j * node.max]);
      break;
    }
    case 'char':
    case 'set':
    case 'any':
      add([1, 1]);
      break;
    case 'ref':
      add(state.groupWidths[node.index] ?? [0, 0]);
      break;
    case 'at':
    case 'look':
      break;
  }
  return [Math.min(lo, MAXREPEAT - 1), Math.min(hi, MAXREPEAT)];
}

/** `_compiler.py`: "look-behind requires fixed-width pattern". */
function checkLookbehinds(node: Node, state: State): void {
  for (const child of children(node)) checkLookbehinds(child, state);
  if (node.k === 'look' && node.behind) {
    const [lo, hi] = width(node.body, state);
    if (lo !== hi) throw new PythonPatternError('invalid', 'look-behind requires fixed-width pattern');
  }
}

function firstRepeat(node: Node): Extract<Node, { k: 'repeat' }> | undefined {
  if (node.k === 'repeat') return node;
  for (const child of children(node)) {
    const found = firstRepeat(child);
    if (found) return found;
  }
  return undefined;
}

function children(node: Node): Node[] {
  switch (node.k) {
    case 'seq':
      return node.items;
    case 'alt':
      return node.branches;
    case 'group':
    case 'look':
    case 'repeat':
      return [node.body];
    default:
      return [];
  }
}

// ---------------------------------------------------------------------------------------------
// What JavaScript does differently, checked once on the tree.

/** Every node with its ancestors, root first. */
function paths(root: Node): Map<Node, Node[]> {
  const result = new Map<Node, Node[]>();
  const walk = (node: Node, above: Node[]) => {
    result.set(node, above);
    for (const child of children(node)) walk(child, [...above, node]);
  };
  walk(root, []);
  return result;
}

/** A node below `top` on this path that can let the group go unmatched while the match goes on. */
function conditionalOnPath(path: Node[], from: number): Node | undefined {
  return path.slice(from).find((n) => n.k === 'alt' || (n.k === 'repeat' && n.min === 0) || (n.k === 'look' && n.negate));
}

/**
 * Refuse what the two engines would answer differently:
 *  - a backreference to a group that may not have taken part: Python's fails, JavaScript's
 *    matches the empty string (ECMA-262 BackreferenceMatcher);
 *  - the course_id group, or a referenced one, inside a repetition where some repetitions may
 *    skip it: JavaScript clears a repeated group's captures at each repetition
 *    (ECMA-262 RepeatMatcher), Python keeps the last value;
 *  - a backreference under IGNORECASE (Python compares case-insensitively; richie-dev does
 *    IGNORECASE by spelling out the cases, which a backreference cannot).
 */
function checkCaptures(parsed: ParsedPattern): void {
  const pathOf = paths(parsed.root);
  const groups = new Map<number, Node>();
  const refs: Extract<Node, { k: 'ref' }>[] = [];
  for (const node of pathOf.keys()) {
    if (node.k === 'group' && node.index !== null) groups.set(node.index, node);
    if (node.k === 'ref') refs.push(node);
  }
  const mustMatter = new Set<number>(refs.map((r) => r.index));
  const courseId = parsed.groupIndex.get('course_id');
  if (courseId !== undefined) mustMatter.add(courseId);
  for (const ref of refs) {
    if (ref.f.i) throw new PythonPatternError('unsupported', 'a backreference under IGNORECASE (?i)');
    const group = groups.get(ref.index)!;
    const groupPath = [...pathOf.get(group)!, group];
    const refPath = pathOf.get(ref)!;
    let common = 0;
    while (common < groupPath.length && groupPath[common] === refPath[common]) common++;
    const lca = groupPath[common - 1];
    if (lca?.k === 'alt' || conditionalOnPath(groupPath, common)) {
      throw new PythonPatternError('unsupported', `a backreference to group ${ref.index}, which may not take part in the match (Python then fails where JavaScript matches an empty string)`);
    }
  }
  for (const index of mustMatter) {
    const group = groups.get(index)!;
    const groupPath = [...pathOf.get(group)!, group];
    groupPath.forEach((node, at) => {
      if (node.k === 'repeat' && node.max > 1 && conditionalOnPath(groupPath, at + 1)) {
        const what = group.k === 'group' && group.name ? `(?P<${group.name}>...)` : `group ${index}`;
        throw new PythonPatternError('unsupported', `${what} inside a repetition that may skip it (Python keeps an earlier repetition's value, JavaScript clears it)`);
      }
    });
  }
}

// ---------------------------------------------------------------------------------------------
// Emitting JavaScript.

/** Python's Unicode \w is `str.isalnum()` or "_": exactly the letters and numbers (checked against CPython). */
const UNICODE_WORD = '\\p{L}\\p{N}_';
/** Python's Unicode \s: `str.isspace()`, listed (it is neither JavaScript's \s nor a property). */
const UNICODE_SPACE = '\\t\\n\\v\\f\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
/** Python's ASCII \s: " \t\n\r\f\v" (`Py_ISSPACE`). */
const ASCII_SPACE = ' \\t\\n\\r\\f\\v';

/** Characters JavaScript reads as syntax outside a class (flag u refuses escaping others; "/" needs none in new RegExp). */
const SYNTAX = new Set('^$\\.*+?()[]{}|');
const CLASS_SYNTAX = new Set('\\]^-[');

/** Python sees a lone surrogate as one code point; JavaScript would pair two into one character. */
function noSurrogate(cp: number): void {
  if (cp >= 0xd800 && cp <= 0xdfff) throw new PythonPatternError('unsupported', `a surrogate code point (U+${cp.toString(16).toUpperCase()})`);
}

function hex(cp: number): string {
  return cp <= 0xffff ? `\\u${cp.toString(16).padStart(4, '0')}` : `\\u{${cp.toString(16)}}`;
}

/** One code point as JavaScript source, in or out of a class (flag u). */
function literalU(cp: number, inClass: boolean): string {
  noSurrogate(cp);
  const char = String.fromCodePoint(cp);
  if ((inClass ? CLASS_SYNTAX : SYNTAX).has(char)) return `\\${char}`;
  if (cp < 0x20 || (cp >= 0x7f && cp <= 0xa0) || /[\p{Z}\p{C}]/u.test(char)) return hex(cp);
  return char;
}

/**
 * The case variants Python's IGNORECASE matches for an ASCII letter: the other ASCII case, plus
 * the non-ASCII characters sre folds onto it in Unicode mode (`_casefix.py` and simple
 * lowercasing: İ ı for i, K (Kelvin) for k, ſ for s); none in ASCII mode.
 */
function caseVariants(cp: number, ascii: boolean): number[] {
  const char = String.fromCodePoint(cp);
  if (!/^[A-Za-z]$/.test(char)) return [];
  const lower = char.toLowerCase();
  const variants = [lower.codePointAt(0)!, char.toUpperCase().codePointAt(0)!];
  if (!ascii) {
    if (lower === 'i') variants.push(0x130, 0x131);
    if (lower === 'k') variants.push(0x212a);
    if (lower === 's') variants.push(0x17f);
  }
  return variants.filter((v) => v !== cp);
}

function isCased(cp: number): boolean {
  const char = String.fromCodePoint(cp);
  return char.toLowerCase() !== char || char.toUpperCase() !== char || /\p{Ll}|\p{Lu}|\p{Lt}/u.test(char);
}

/** Ranges a case-insensitive set adds; throws for non-ASCII cased characters. */
function caseRanges(lo: number, hi: number, ascii: boolean): { lo: number; hi: number }[] {
  if (hi > 0x7f) {
    for (let cp = Math.max(lo, 0x80); cp <= hi; cp++) {
      if (isCased(cp)) throw new PythonPatternError('unsupported', `a non-ASCII cased character (${String.fromCodePoint(cp)}) under IGNORECASE (?i)`);
    }
  }
  const extra: { lo: number; hi: number }[] = [];
  for (const [a, z, shift] of [[0x61, 0x7a, -32], [0x41, 0x5a, 32]] as const) {
    const from = Math.max(lo, a);
    const to = Math.min(hi, z);
    if (from <= to) extra.push({ lo: from + shift, hi: to + shift });
  }
  if (!ascii) {
    const covers = (c: string) => [c.toLowerCase(), c.toUpperCase()].some((x) => x.codePointAt(0)! >= lo && x.codePointAt(0)! <= hi);
    if (covers('i')) extra.push({ lo: 0x130, hi: 0x131 });
    if (covers('k')) extra.push({ lo: 0x212a, hi: 0x212a });
    if (covers('s')) extra.push({ lo: 0x17f, hi: 0x17f });
  }
  return extra;
}

interface Emitter {
  /** Flag u, exact Python semantics; else flagless and readable, for Richie's front end. */
  exact: boolean;
  /** Front end: the group number each Python group gets (course_id first), null when dropped. */
  renumber?: Map<number, number | null>;
  groupName?: Map<number, string>;
}

function emitRange(lo: number, hi: number, exact: boolean): string {
  if (!exact && hi > 0xffff) throw new PythonPatternError('unsupported', 'a character above U+FFFF in a character set, which needs the u flag that Richie\'s front end does not set');
  const lit = (cp: number) => (exact ? literalU(cp, true) : literalPlain(cp, true));
  return lo === hi ? lit(lo) : `${lit(lo)}-${lit(hi)}`;
}

function literalPlain(cp: number, inClass: boolean): string {
  noSurrogate(cp);
  const char = String.fromCodePoint(cp);
  if ((inClass ? CLASS_SYNTAX : SYNTAX).has(char)) return `\\${char}`;
  if (cp < 0x20 || (cp >= 0x7f && cp <= 0xa0)) return `\\x${cp.toString(16).padStart(2, '0')}`;
  if (cp > 0xffff) {
    const pair = char.split('').map((u) => `\\u${u.charCodeAt(0).toString(16)}`).join('');
    return inClass ? pair : `(?:${pair})`;
  }
  if (/[\p{Z}\p{C}]/u.test(char)) return `\\u${cp.toString(16).padStart(4, '0')}`;
  return char;
}

/** A set as JavaScript: `[...]`, or an alternation where a class cannot hold a complement. */
function emitSet(node: Extract<Node, { k: 'set' }>, e: Emitter): string {
  const inline: string[] = [];
  const complements: string[] = [];
  const ascii = node.f.a;
  for (const item of node.items) {
    if (item.k === 'range') {
      inline.push(emitRange(item.lo, item.hi, e.exact));
      if (node.f.i) {
        for (const extra of caseRanges(item.lo, item.hi, ascii || !e.exact)) inline.push(emitRange(extra.lo, extra.hi, e.exact));
      }
      continue;
    }
    if (!e.exact) {
      // Richie's front end: JavaScript's own \d \w \s (ASCII digits and word characters).
      inline.push(`\\${item.cat}`);
      continue;
    }
    const positive = item.cat.toLowerCase();
    const negated = item.cat !== positive;
    if (ascii) {
      // Without flag i, JavaScript's \d and \w are ASCII, as Python's under re.ASCII.
      if (positive === 'd' || positive === 'w') inline.push(`\\${item.cat}`);
      else if (negated) complements.push(`[^${ASCII_SPACE}]`);
      else inline.push(ASCII_SPACE);
    } else if (positive === 'd') {
      inline.push(negated ? '\\P{Nd}' : '\\p{Nd}');
    } else {
      const members = positive === 'w' ? UNICODE_WORD : UNICODE_SPACE;
      if (negated) complements.push(`[^${members}]`);
      else inline.push(members);
    }
  }
  // A lone category (\d, or \w written alone) reads better without brackets.
  const lone = node.items.length === 1 && node.items[0]!.k === 'cat' && !node.negate;
  if (lone && complements.length === 1) return complements[0]!;
  if (lone && inline.length === 1 && /^\\[pP]\{\w+\}$|^\\[dDwWsS]$/.test(inline[0]!)) return inline[0]!;
  const alternatives = [...(inline.length ? [`[${inline.join('')}]`] : []), ...complements];
  if (!node.negate) {
    if (complements.length === 0) return `[${inline.join('')}]`;
    return `(?:${alternatives.join('|')})`;
  }
  if (complements.length === 0) return `[^${inline.join('')}]`;
  return `(?!${alternatives.join('|')})[\\s\\S]`;
}

function emit(node: Node, e: Emitter): string {
  switch (node.k) {
    case 'seq':
      return node.items.map((n) => emit(n, e)).join('');
    case 'alt':
      return `(?:${node.branches.map((n) => emit(n, e)).join('|')})`;
    case 'char': {
      const lit = (cp: number) => (e.exact ? literalU(cp, false) : literalPlain(cp, false));
      if (node.f.i) {
        if (node.cp > 0x7f && isCased(node.cp)) {
          throw new PythonPatternError('unsupported', `a non-ASCII cased character (${String.fromCodePoint(node.cp)}) under IGNORECASE (?i)`);
        }
        const variants = caseVariants(node.cp, node.f.a || !e.exact);
        if (variants.length) return `[${[node.cp, ...variants].map((cp) => emitRange(cp, cp, e.exact)).join('')}]`;
      }
      return lit(node.cp);
    }
    case 'set':
      return emitSet(node, e);
    case 'any':
      // "." is anything but a newline, or anything under DOTALL; JavaScript's "." also stops at \r, U+2028, U+2029.
      if (node.f.s) return '[\\s\\S]';
      return e.exact ? '[^\\n]' : '.';
    case 'at':
      return emitAt(node, e);
    case 'group': {
      const body = emit(node.body, e);
      if (node.index === null) return `(?:${body})`;
      if (e.exact) return node.name === null ? `(${body})` : `(?<${node.name}>${body})`;
      return e.renumber!.get(node.index) === null ? `(?:${body})` : `(${body})`;
    }
    case 'look':
      return `(?${node.behind ? '<' : ''}${node.negate ? '!' : '='}${emit(node.body, e)})`;
    case 'ref': {
      if (e.exact) {
        const name = e.groupName!.get(node.index);
        return name === undefined ? `(?:\\${node.index})` : `\\k<${name}>`;
      }
      return `(?:\\${e.renumber!.get(node.index)!})`;
    }
    case 'repeat': {
      let body = emit(node.body, e);
      // What emit() gives for these is one JavaScript atom; a lookaround or a sequence is not
      // (flag u refuses a quantified lookahead, which Python accepts).
      const atom = ['char', 'any', 'group', 'alt', 'ref'].includes(node.body.k) || (node.body.k === 'set' && !body.startsWith('(?!'));
      if (!atom) body = `(?:${body})`;
      const { min, max } = node;
      const unbounded = max >= MAXREPEAT;
      const quantifier =
        min === 0 && unbounded ? '*' : min === 1 && unbounded ? '+' : min === 0 && max === 1 ? '?' : unbounded ? `{${min},}` : min === max ? `{${min}}` : `{${min},${max}}`;
      return `${body}${quantifier}${node.lazy ? '?' : ''}`;
    }
  }
}

function emitAt(node: Extract<Node, { k: 'at' }>, e: Emitter): string {
  const word = node.f.a ? '0-9A-Za-z_' : UNICODE_WORD;
  switch (node.at) {
    case 'beginString':
      return '^';
    case 'endString':
      return '$';
    case 'begin':
      if (node.f.m) return e.exact ? '(?<![^\\n])' : '(?:^|(?<=\\n))';
      return '^';
    case 'end':
      // Python's "$": the end of the string or just before a newline at its end; under
      // MULTILINE before any newline ("$" in Regular Expression Syntax).
      if (node.f.m) return e.exact ? '(?![^\\n])' : '(?=\\n|$)';
      return e.exact ? '(?=\\n?$)' : '$';
    case 'boundary':
      if (!e.exact || node.f.a) return '\\b';
      return `(?:(?<=[${word}])(?![${word}])|(?<![${word}])(?=[${word}]))`;
    case 'nonBoundary':
      // sre's \B never matches in an empty string (`SRE_AT_NON_BOUNDARY`).
      if (!e.exact) return '\\B';
      if (node.f.a) return '(?:\\B(?=[\\s\\S]|(?<=[\\s\\S])))';
      return `(?:(?:(?<=[${word}])(?=[${word}])|(?<![${word}])(?![${word}]))(?=[\\s\\S]|(?<=[\\s\\S])))`;
  }
}

/**
 * The pattern as a JavaScript RegExp with `re.match` semantics ("Module Contents", `re.match`):
 * anchored at the start of the string only, named groups kept under the same names, so
 * `new RegExp(source, flags).exec(url)?.groups?.course_id` is Python's `match.group('course_id')`.
 * `search` drops the anchor, for saying whether it matches anywhere at all.
 */
export function toMatchRegExp(parsed: ParsedPattern, search = false): { source: string; flags: string } {
  checkCaptures(parsed);
  const groupName = new Map<number, string>([...parsed.groupIndex].map(([name, index]) => [index, name]));
  const body = emit(parsed.root, { exact: true, groupName });
  return { source: search ? body : `^(?:${body})`, flags: 'u' };
}

/**
 * The readable JavaScript counterpart for Richie's front end, which compiles JS_COURSE_REGEX
 * without flags and reads the course id as match[1] (richie-education `js/api/lms/openedx-hawthorn.ts`):
 * course_id becomes the first capturing group, other named groups non-capturing unless a
 * backreference needs them. Anchored at the start like `re.match`. It keeps JavaScript's own
 * `.`, `$`, `\d`, `\w`, `\s`, `\b`, which differ from Python's only on newlines and non-ASCII
 * characters (absent from a serialized URL); the sample URL is checked against both anyway.
 */
export function toFrontEndRegExp(parsed: ParsedPattern): string {
  checkCaptures(parsed);
  const referenced = new Set<number>();
  const collect = (node: Node) => {
    if (node.k === 'ref') referenced.add(node.index);
    children(node).forEach(collect);
  };
  collect(parsed.root);
  const courseId = parsed.groupIndex.get('course_id');
  const names = new Map<number, string>([...parsed.groupIndex].map(([name, index]) => [index, name]));
  const renumber = new Map<number, number | null>();
  let next = 1;
  for (let index = 1; index <= parsed.groupCount; index++) {
    const keep = index === courseId || !names.has(index) || referenced.has(index);
    renumber.set(index, keep ? next++ : null);
  }
  if (courseId !== undefined && renumber.get(courseId) !== 1) {
    throw new PythonPatternError('unsupported', 'a capturing group before (?P<course_id>...): Richie\'s front end reads the first group as the course id');
  }
  let body = emit(parsed.root, { exact: false, renumber });
  const root = parsed.root;
  const first = root.k === 'seq' ? root.items[0] : root;
  const anchored = first?.k === 'at' && (first.at === 'beginString' || (first.at === 'begin' && !first.f.m));
  if (!anchored) body = `^${body}`;
  return body;
}
