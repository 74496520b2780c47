/**
 * Richie's COURSE_REGEX is Python (`(?P<course_id>...)`); its JS_COURSE_REGEX is the JavaScript
 * equivalent with an unnamed group (the front end reads match[1]). A URL one matches and the
 * other does not is a course with no enrollment button: check both on a sample URL.
 */
import { UserError } from '../errors.js';

export interface CourseRegexes {
  python: string;
  javascript: string;
}

const PYTHON_ONLY: [RegExp, string][] = [
  [/\(\?P=/, 'named backreferences (?P=name)'],
  [/\(\?#/, 'comments (?#...)'],
  [/\(\?[aiLmsux]+\)/, 'inline flags like (?i)'],
  [/\\Z/, '\\Z (use $)'],
];

/** Check a Python-flavoured course regex and derive the JavaScript one (unless given). */
export function courseRegexes(python: string, javascript?: string): CourseRegexes {
  const groups = python.match(/\(\?P<course_id>/g)?.length ?? 0;
  if (groups !== 1) {
    throw new UserError(`courseRegex must have exactly one named group "(?P<course_id>...)"; "${python}" has ${groups}.`, {
      fix: 'Set courseRegex like "^.*/courses/(?P<course_id>.*)/course/?$" in richie-dev.config.json.',
    });
  }
  for (const [pattern, what] of PYTHON_ONLY) {
    if (pattern.test(python)) {
      throw new UserError(`courseRegex "${python}" uses ${what}, which has no JavaScript equivalent for JS_COURSE_REGEX.`, {
        fix: 'Rewrite courseRegex without it, or give jsCourseRegex yourself.',
      });
    }
  }
  compile(toNamedJs(python), 'courseRegex', python);
  // Richie's front end takes the first group: the course id must be the only capturing group.
  const derived = python.replace('\\A', '^').replace(/\(\?P<course_id>/, '(').replace(/\(\?P<\w+>/g, '(?:');
  const js = javascript ?? derived;
  compile(js, 'jsCourseRegex', js);
  return { python, javascript: js };
}

/** The Python regex as a JavaScript regex with the same named group, to run it here. */
function toNamedJs(python: string): string {
  return python.replace('\\A', '^').replace(/\(\?P</g, '(?<');
}

function compile(source: string, key: string, shown: string): RegExp {
  try {
    return new RegExp(source);
  } catch (error) {
    throw new UserError(`${key} "${shown}" is not a valid regular expression: ${(error as Error).message}.`, { fix: `Fix ${key} in richie-dev.config.json.` });
  }
}

/** The course id each regex extracts from a URL (undefined when it does not match). */
export function extractCourseId(regexes: CourseRegexes, url: string): { python?: string; javascript?: string } {
  const py = new RegExp(toNamedJs(regexes.python)).exec(url)?.groups?.course_id;
  const js = new RegExp(regexes.javascript).exec(url)?.[1];
  return { ...(py === undefined ? {} : { python: py }), ...(js === undefined ? {} : { javascript: js }) };
}

/** Both regexes must match the sample URL and agree on the id. */
export function checkCourseUrl(regexes: CourseRegexes, url: string): string {
  const ids = extractCourseId(regexes, url);
  const shown = `\n  URL:              ${url}\n  COURSE_REGEX:     ${regexes.python}\n  JS_COURSE_REGEX:  ${regexes.javascript}`;
  if (ids.python === undefined || ids.javascript === undefined) {
    const which = ids.python === undefined && ids.javascript === undefined ? 'neither regex matches' : ids.python === undefined ? 'COURSE_REGEX does not match' : 'JS_COURSE_REGEX does not match';
    throw new UserError(`The course URL gets no enrollment button: ${which} it.${shown}`, {
      fix: 'Fix courseRegex / jsCourseRegex (or sampleCourseUrl) in richie-dev.config.json so both match the LMS course URLs.',
    });
  }
  if (ids.python !== ids.javascript) {
    throw new UserError(`COURSE_REGEX extracts "${ids.python}" but JS_COURSE_REGEX extracts "${ids.javascript}".${shown}`, {
      fix: 'Make jsCourseRegex capture the same text as the course_id group (or drop it to derive it).',
    });
  }
  return ids.python;
}

/**
 * COURSE_REGEX as a JavaScript RegExp with Python re.match semantics (anchored at the start).
 * Placeholder until the Python-regex translator lands: named groups and the anchor only.
 */
export function pythonMatchRegExp(pattern: string): { source: string; flags: string } {
  return { source: `^(?:${toNamedJs(pattern)})`, flags: '' };
}
