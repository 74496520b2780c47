/**
 * Richie's two course regexes, checked the way Richie applies them.
 *
 * - COURSE_REGEX is Python, applied with `re.match` — anchored at the start of the URL, not at
 *   its end — and the id is its `course_id` group (richie `src/richie/apps/courses/lms/__init__.py`
 *   `select_lms`, `lms/edx.py` `extract_course_id`). richie-dev translates it to JavaScript with
 *   the same meaning (./python-regex.ts) and refuses what Python refuses or what it cannot
 *   reproduce.
 * - JS_COURSE_REGEX is JavaScript, run by Richie's front end as `url.match(course_regexp)` from a
 *   plain string (no flags, an unanchored search), the id being `match[1]`, and an empty id
 *   counting as none (richie-education `js/api/lms/openedx-hawthorn.ts` `extractCourseIdFromUrl`);
 *   the LMS is the first whose `new RegExp(course_regexp).test(url)` (`js/api/configuration.ts`).
 *
 * A course URL one matches and the other does not, or where they find different ids, gets no
 * enrollment button: check both on a sample URL.
 */
import { UserError } from '../errors.js';
import { parsePython, PythonPatternError, toFrontEndRegExp, toMatchRegExp, type ParsedPattern } from './python-regex.js';

export interface CourseRegexes {
  python: string;
  javascript: string;
}

const CONFIG = 'richie-dev.config.json';

/** What a JavaScript-ism in a pattern Python refuses should be written as, in Python. */
function pythonHint(pattern: string): string {
  if (/\(\?<(?![=!])/.test(pattern)) return ' Python names a group (?P<name>...), not (?<name>...).';
  if (/\\k</.test(pattern)) return ' Python refers to a named group with (?P=name), not \\k<name>.';
  if (/\\[pP]\{/.test(pattern)) return " Python's re has no \\p{...} classes: list the characters in a [...] set.";
  if (/\[\^\]/.test(pattern)) return ' [^] is JavaScript for "any character"; in Python write (?s:.) or [\\s\\S].';
  if (/\\c/.test(pattern)) return ' Python has no \\cX control escapes: write \\x01 and so on.';
  return '';
}

function refusal(error: PythonPatternError, key: string, pattern: string): UserError {
  if (error.kind === 'invalid') {
    const at = error.position === undefined ? '' : ` at position ${error.position}`;
    return new UserError(`${key} "${pattern}" is not a valid Python regular expression: ${error.message}${at}. Richie compiles it with Python's re module, so every course-run sync would fail.${pythonHint(pattern)}`, {
      fix: `Fix ${key} in ${CONFIG} using Python's re syntax, e.g. "^.*/courses/(?P<course_id>.*)/course/?$".`,
    });
  }
  return new UserError(`richie-dev cannot check ${key} "${pattern}": it uses ${error.message}. Python accepts it, but richie-dev cannot reproduce how Richie's re.match would apply it, so it cannot vouch for the course id it extracts.`, {
    fix: `Rewrite ${key} in ${CONFIG} without it, e.g. "^.*/courses/(?P<course_id>.*)/course/?$".`,
  });
}

function parse(pattern: string, key = 'courseRegex'): ParsedPattern {
  try {
    return parsePython(pattern);
  } catch (error) {
    if (error instanceof PythonPatternError) throw refusal(error, key, pattern);
    throw error;
  }
}

/**
 * A Python pattern as a JavaScript RegExp applied as `re.match` applies it: `new RegExp(source,
 * flags).exec(url)` matches exactly when `re.match(pattern, url)` does, and its `groups` hold the
 * same named groups' text. Throws a UserError (naming courseRegex) for a pattern Python refuses
 * or one richie-dev cannot translate faithfully.
 */
export function pythonMatchRegExp(pattern: string): { source: string; flags: string } {
  const parsed = parse(pattern);
  try {
    return toMatchRegExp(parsed);
  } catch (error) {
    if (error instanceof PythonPatternError) throw refusal(error, 'courseRegex', pattern);
    throw error;
  }
}

function requireCourseId(parsed: ParsedPattern): void {
  if (!parsed.groupIndex.has('course_id')) {
    throw new UserError(`courseRegex "${parsed.pattern}" has no named group (?P<course_id>...): Richie's EdXLMSBackend reads the course id from it (re.match(...).group("course_id")).`, {
      fix: `Set courseRegex like "^.*/courses/(?P<course_id>.*)/course/?$" in ${CONFIG}.`,
    });
  }
}

function compileJs(source: string): RegExp {
  try {
    // As Richie's front end builds it: from the string alone, without flags.
    return new RegExp(source);
  } catch (error) {
    throw new UserError(`jsCourseRegex "${source}" is not a valid JavaScript regular expression: ${(error as Error).message}. Richie's front end builds it with new RegExp(JS_COURSE_REGEX), without flags.`, {
      fix: `Fix jsCourseRegex in ${CONFIG} (a JavaScript regex whose first group is the course id), or remove it to derive it from courseRegex.`,
    });
  }
}

/** Check a Python course regex and derive the JavaScript one (unless given). */
export function courseRegexes(python: string, javascript?: string): CourseRegexes {
  const parsed = parse(python);
  requireCourseId(parsed);
  pythonMatchRegExp(python);
  let js = javascript;
  if (js === undefined) {
    try {
      js = toFrontEndRegExp(parsed);
    } catch (error) {
      if (!(error instanceof PythonPatternError)) throw error;
      throw new UserError(`richie-dev cannot derive jsCourseRegex from courseRegex "${python}": it uses ${error.message}.`, {
        fix: `Give jsCourseRegex in ${CONFIG} yourself: a JavaScript regex whose first group is the course id.`,
      });
    }
  }
  compileJs(js);
  return { python, javascript: js };
}

interface SideResult {
  id?: string;
  /** Why this side finds no id, in words for the user. */
  problem?: string;
}

function pythonSide(python: string, url: string): SideResult {
  const parsed = parse(python);
  requireCourseId(parsed);
  const { source, flags } = pythonMatchRegExp(python);
  const match = new RegExp(source, flags).exec(url);
  if (!match) {
    const search = toMatchRegExp(parsed, true);
    if (new RegExp(search.source, search.flags).test(url)) {
      return { problem: "COURSE_REGEX does not match at the start of the URL: Python's re.match is anchored there; start it with ^.* like Richie's default" };
    }
    return { problem: 'COURSE_REGEX does not match the URL under re.match' };
  }
  const id = match.groups?.course_id;
  if (id === undefined) return { problem: 'COURSE_REGEX matches, but its course_id group takes no part in the match' };
  if (id === '') return { problem: 'COURSE_REGEX matches, but its course_id group is empty' };
  return { id };
}

function javascriptSide(javascript: string, url: string): SideResult {
  const match = url.match(compileJs(javascript));
  if (!match) return { problem: "JS_COURSE_REGEX does not match the URL (Richie's front end searches it with url.match)" };
  const id = match[1];
  if (id === undefined || id === '') {
    return { problem: "JS_COURSE_REGEX matches, but its first group, which Richie's front end takes as the course id, is empty or absent" };
  }
  return { id };
}

/** The course id each regex extracts from a URL, as Richie applies each (undefined when none). */
export function extractCourseId(regexes: CourseRegexes, url: string): { python?: string; javascript?: string } {
  const py = pythonSide(regexes.python, url).id;
  const js = javascriptSide(regexes.javascript, url).id;
  return { ...(py === undefined ? {} : { python: py }), ...(js === undefined ? {} : { javascript: js }) };
}

/** Both regexes must find the same, non-empty course id in the sample URL; returns it. */
export function checkCourseUrl(regexes: CourseRegexes, url: string): string {
  const py = pythonSide(regexes.python, url);
  const js = javascriptSide(regexes.javascript, url);
  const shown = `\n  URL:              ${url}\n  COURSE_REGEX:     ${regexes.python}\n  JS_COURSE_REGEX:  ${regexes.javascript}`;
  const problems = [py.problem, js.problem].filter((p): p is string => p !== undefined);
  if (problems.length > 0) {
    throw new UserError(`The course URL gets no enrollment button: ${problems.join('; ')}.${shown}`, {
      fix: `Fix courseRegex / jsCourseRegex (or sampleCourseUrl) in ${CONFIG} so both find the course id in the LMS course URLs.`,
    });
  }
  if (py.id !== js.id) {
    throw new UserError(`COURSE_REGEX extracts "${py.id}" but JS_COURSE_REGEX extracts "${js.id}".${shown}`, {
      fix: 'Make jsCourseRegex capture the same text as the course_id group (or drop it to derive it).',
    });
  }
  return py.id!;
}
