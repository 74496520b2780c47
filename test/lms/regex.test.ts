/**
 * richie-dev's reading of COURSE_REGEX against the real thing: CPython's `re.match`, run once on
 * the whole corpus (JSON on stdin). Where Python refuses a pattern richie-dev must refuse it too;
 * where Python accepts it richie-dev must agree on the match, its end and the course id — except
 * for the few patterns listed in CANNOT_CHECK, which it must refuse as "cannot check".
 * richie-dev itself never runs Python; only this test does.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors.js';
import { checkCourseUrl, courseRegexes, extractCourseId, pythonMatchRegExp } from '../../src/lms/regex.js';

const RICHIE = '^.*/courses/(?P<course_id>.*)/course/?$';
const JOANIE = '^.*/api/v1.0(?P<resource_uri>(?:/(?:courses|course-runs|products)/[^/]+)+)/?$';

const SAMPLE = 'https://edx.local.dev:8073/courses/course-v1:richie+demo+2026/course/';
/** Tried with every pattern. */
const URLS = [
  SAMPLE,
  'https://edx.local.dev:8073/courses/course-v1:richie+demo+2026/course',
  'https://edx.local.dev:8073/courses/course-v1:richie+demo+2026/info/',
  `${SAMPLE}\n`,
  `${SAMPLE}\n\n`,
  '/courses/abc/course/',
  'https://EDX.local.dev/COURSES/ABC/Course/',
  'https://edx.local.dev/courses/org/num/run/course/',
  'https://edx.local.dev/courses/courses/abc/courses/',
  'https://lms.example.org/api/v1.0/courses/00000000-0000-0000-0000-000000000001/course-runs/42/',
  'https://edx.local.dev/courses/x\ny/course/',
  'https://edx.local.dev/courses/x\ry\u2028z/course/',
  'https://edx.local.dev/courses/é٣4/course/',
  'https://edx.local.dev/courses/\u212a\u0130\u0131\u017f/course/',
  'https://edx.local.dev/courses/a\x1cb\x85c\xa0d\ufeffe/course/',
  'https://edx.local.dev/courses//course/',
  '',
];

/** Patterns, each with extra URLs of its own. */
const CORPUS: [string, ...string[]][] = [
  // Richie's and Joanie's defaults (richie sandbox/settings.py).
  [RICHIE],
  ['^.*/courses/(?P<course_id>.*)/info/?$'],
  [JOANIE],
  // No leading ^.*: re.match anchors at the start anyway.
  ['/courses/(?P<course_id>[^/]+)/course/'],
  ['.*/courses/(?P<course_id>[^/]+)/course/'],
  ['https://edx\\.local\\.dev:8073/courses/(?P<course_id>[^/]+)/course/?$'],
  ['courses/(?P<course_id>[^/]+)', 'courses/abc'],
  // $ only, \A, \Z, trailing newlines.
  ['.*/courses/(?P<course_id>[^/]+)/course/?$'],
  ['.*/courses/(?P<course_id>[^/]+)/course/?\\Z'],
  ['\\A.*/courses/(?P<course_id>[^/]+)/course/?\\Z'],
  ['\\A.*/c/(?P<kind>[a-z]+)/(?P<course_id>\\d+)$', 'https://x/c/run/42', 'https://x/c/run/42\n', 'https://x/c/run/٤٢'],
  ['^.*/courses/(?P<course_id>[^/]+)/course/?$\\n', `${SAMPLE}\n`],
  ['^.*/courses/(?P<course_id>[^/]+)/course/?\\n?\\Z'],
  ['^.*/courses/(?P<course_id>.+)$'],
  ['^.*/courses/(?P<course_id>[^/]+)/course/?$(?#trailing comment)'],
  // Inline flags, global and scoped.
  ['(?i)^.*/COURSES/(?P<course_id>[^/]+)/COURSE/?$'],
  ['(?i)^.*/courses/(?P<course_id>[a-z]+)/', 'https://x/courses/\u212a\u0130\u0131\u017f/', 'https://x/COURSES/kis/'],
  ['(?ai)^.*/courses/(?P<course_id>[a-z]+)/', 'https://x/courses/\u212a\u0130\u0131\u017f/', 'https://x/COURSES/kis/'],
  ['(?i)^.*/courses/(?P<course_id>[^ik]+)/', 'https://x/courses/\u212a/', 'https://x/courses/ab/'],
  ['(?s)^.*/courses/(?P<course_id>.*)/course/?$'],
  ['(?m)^.*/courses/(?P<course_id>[^/]+)/course/?$'],
  ['(?m)^https:.*$\\n^(?P<course_id>.*)$', 'https://x/\nabc', 'https://x/\nabc\n', 'https://x/\r\nabc'],
  ['(?a)^.*/courses/(?P<course_id>\\w+)/'],
  ['^.*/courses/(?P<course_id>\\w+)/'],
  ['(?u)^.*/courses/(?P<course_id>\\d+)/', 'https://x/courses/٣٤/', 'https://x/courses/34/'],
  ['^.*/courses/(?P<course_id>\\S+?)/course/?$'],
  ['(?a)^.*/courses/(?P<course_id>[^\\s/]+)'],
  ['^.*/courses/(?P<course_id>[\\w\\s]+)/'],
  ['^.*/courses/(?P<course_id>[^\\W\\d]+)'],
  ['(?x) ^ .* /courses/ (?P<course_id> [^/]+ )  # the id\n /course/? $'],
  ['^(?#scheme).*/courses/(?P<course_id>[^/]+)(?#tail)/course/?$'],
  ['^.*/(?i:COURSES)/(?P<course_id>[^/]+)/(?-i:course)'],
  ['(?i)^.*/(?-i:courses)/(?P<course_id>[^/]+)'],
  ['^.*/courses/(?s:(?P<course_id>.+))/course/?$'],
  ['^.*/courses/(?a:(?P<course_id>\\w+))/'],
  // Backreferences.
  ['^.*/(?P<seg>[a-z]+)/(?P<course_id>[^/]+)/(?P=seg)/'],
  ['^.*/(courses)/(?P<course_id>[^/]+)/\\1'],
  ['^.*/courses/(?:(?P<course_id>[^/]+)/)+'],
  ['^(?:.*/)?(?:(?P<course_id>[^/]+)x|[^/]+y)/', 'https://x/courses/ay/', 'https://x/courses/ax/'],
  ['^.*?/courses/(?:(?P<course_id>[^/]+)/)*?course', 'https://x/courses/a/b/course'],
  ['^(?P<scheme>https?)://[^/]+/(?:(?P=scheme)/)?courses/(?P<course_id>[^/]+)', 'https://x/https/courses/a', 'http://x/https/courses/a'],
  ['^.*/(?x: courses / ) (?P<course_id>[^/]+)'],
  ['(?i)^.*\\bCOURSES\\b/(?P<course_id>[^/]+)'],
  ['^.*/courses/(?P<course_id>[^/]+)$/course', 'https://x/courses/a\n/course'],
  // Character classes.
  ['^.*/courses/(?P<course_id>[\\w:+-]+)/course/?$'],
  ['^.*/courses/(?P<course_id>[^]/]+)/', 'https://x/courses/a]b/'],
  ['^.*/courses/(?P<course_id>[]a-z:+1-9v-]+)', 'https://x/courses/]ab-c/'],
  ['^.*/courses/(?P<course_id>[^\\057]+)'],
  ['^.*\\x2fcourses\\u002f(?P<course_id>[^\\U0000002f]+)'],
  ['^.*/courses/(?P<course_id>[\\-\\]\\\\]+)', 'https://x/courses/-]\\/'],
  ['^.*/courses/(?P<course_id>[^/]*)/'],
  ['^.*/courses/\\0(?P<course_id>x)', 'https://x/courses/\0x'],
  // Quantifiers: lazy, {,n}, {n}, literal braces.
  ['^.*/courses/(?P<course_id>[\\s\\S]+?)/course/?$'],
  ['^.*?/courses/(?P<course_id>.+?)/'],
  ['^.*/courses/(?P<course_id>.{3,}?)/'],
  ['^.*/courses/(?P<course_id>[^/]{,40})/course'],
  ['^.*/courses/(?P<course_id>[^/]{3})'],
  ['^.*/courses/(?P<course_id>[^/]+){1}/course'],
  ['^.*/courses/(?P<course_id>a{)', 'https://x/courses/a{'],
  ['^.*/courses/(?P<course_id>a{,})', 'https://x/courses/aaa'],
  ['^.*/courses/(?P<course_id>x{}|[^/]+)'],
  ['^.*(?#c)*/courses/(?P<course_id>[^/]+)'],
  // Alternation at the top: re.match anchors every branch.
  ['a|^.*/courses/(?P<course_id>[^/]+)/course/'],
  ['/courses/(?P<course_id>[^/]+)|https://(?P<host>[^/]+)/'],
  ['https://edx|.*/courses/(?P<course_id>[^/]+)'],
  // Lookarounds and boundaries.
  ['(?<=/courses/)(?P<course_id>[^/]+)'],
  ['^.*(?<=/courses/)(?P<course_id>[^/]+)/course'],
  ['^.*(?<!draft)/courses/(?P<course_id>[^/]+)'],
  ['^.*(?<=/c(?:o|u)urses/)(?P<course_id>[^/]+)'],
  ['^.*/courses/(?P<course_id>(?:(?!/course).)+)/course'],
  ['^(?=.*/courses/)*.*/courses/(?P<course_id>[^/]+)'],
  ['^.*/courses/(?P<course_id>[^/]+)\\b'],
  ['^.*\\B(?P<course_id>v1:[^/]+)'],
  ['\\B(?P<course_id>)'],
  ['\\b(?P<course_id>)'],
  ['(?a)\\B(?P<course_id>)'],
  ['^.*/courses/(?P<course_id>course-v1:(?P<org>[^+]+)\\+(?P<num>[^+]+)\\+(?P<run>[^/]+))/course/?$'],
  // Not Python: JavaScript accepts these, Python refuses them.
  ['^.*/courses/(?<course_id>[^/]+)/course/?$'],
  ['^.*/(?P<seg>[a-z]+)/(?P<course_id>[^/]+)/\\k<seg>'],
  ['^.*/courses/(?P<course_id>\\p{L}+)'],
  ['^.*/courses/(?P<course_id>[^]+)'],
  ['(?<=/c.*/)(?P<course_id>[^/]+)'],
  ['^.*(?<=/(?:c|co)/)(?P<course_id>[^/]+)'],
  ['^.*/courses/(?P<course_id>\\cA)'],
  ['^.*/courses/\\e(?P<course_id>.*)'],
  ['^.*/courses/(?P<course_id>\\u{41})'],
  ['^.*/courses/(?P<course_id>[^/]+)\\2'],
  // Invalid everywhere, or Python-specific refusals.
  ['^.*/courses/(?P<course_id>[^/]+'],
  ['*abc'],
  ['^.*/courses/(?P<course_id>[^/]+)**'],
  ['^.*/courses/(?P<course id>.*)'],
  ['^.*/courses/(?P<course_id>.*)/(?P<course_id>.*)'],
  ['^.*/courses/(?P<course_id>a{3,2})'],
  ['^.*/courses/(?i)(?P<course_id>.*)'],
  ['^.*/courses/(?P<course_id>[z-a])'],
  ['(?L)(?P<course_id>.*)'],
  ['(?P<course_id>.*)\\'],
  ['(?P=course_id)(?P<course_id>x)'],
  ['(?P<course_id>[\\d-z])'],
  ['(?au)(?P<course_id>x)'],
  ['(?a)(?u)(?P<course_id>x)'],
  ['(?P<course_id>\\8)'],
  ['(?P<course_id>[\\A])'],
  ['(?P<course_id>\\u12)'],
  ['(?#unterminated'],
  ['x)('],
  ['(?P<course_id>a)(?P=course_idx)'],
  ['(?-a:x)(?P<course_id>y)'],
  ['(?P<course_id>a)^*'],
  ['(?P<course_id>\\777)'],
  ['(?P<course_id>a)(?(2)b|c)'],
  // Python accepts these; richie-dev cannot reproduce them (CANNOT_CHECK).
  ['^.*/courses/(?>(?P<course_id>[^/]+))/'],
  ['^.*/courses/(?P<course_id>[^/]++)/'],
  ['^.*/courses/(?P<course_id>\\N{LATIN SMALL LETTER A}+)'],
  ['(?P<x>h)?(?(x)ttps|ftp)://(?P<course_id>[^/]+)'],
  ['(?i)^.*/cours\u00c9s/(?P<course_id>.*)'],
  ['^.*/courses/(?:(?P<course_id>[^/]+)/|x)+', 'https://x/courses/a/x'],
  ['^.*(h)?ttps://(?P<course_id>\\1[^/]+)'],
  ['(?i)^.*/(?P<seg>[a-z]+)/(?P<course_id>[^/]+)/(?P=seg)/'],
  ['(?t)(?P<course_id>.*)'],
  ['(?t)(?P<course_id>abc)'],
];

/** Accepted by Python, refused by richie-dev as "cannot check": each says why in its message. */
const CANNOT_CHECK = new Set([
  '^.*/courses/(?>(?P<course_id>[^/]+))/',
  '^.*/courses/(?P<course_id>[^/]++)/',
  '^.*/courses/(?P<course_id>\\N{LATIN SMALL LETTER A}+)',
  '(?P<x>h)?(?(x)ttps|ftp)://(?P<course_id>[^/]+)',
  '(?i)^.*/cours\u00c9s/(?P<course_id>.*)',
  '^.*/courses/(?:(?P<course_id>[^/]+)/|x)+',
  '^.*(h)?ttps://(?P<course_id>\\1[^/]+)',
  '(?i)^.*/(?P<seg>[a-z]+)/(?P<course_id>[^/]+)/(?P=seg)/',
  '(?t)(?P<course_id>abc)',
]);

const PYTHON_SCRIPT = String.raw`
import json, re, sys, unicodedata, warnings
warnings.simplefilter('ignore')
given = json.load(sys.stdin)
# Every code point, and the runs of those each one-character pattern matches.
everything = ''.join(map(chr, range(0x110000)))
def runs(flags, body):
    compiled = re.compile(('(?%s)' % flags if flags else '') + '(?:' + body + ')+')
    return [[m.start(), m.end() - 1] for m in compiled.finditer(everything)]
sets = [runs(flags, body) for flags, body in given['sets']]
unassigned = []
for c in range(0x110000):
    if unicodedata.category(chr(c)) == 'Cn':
        if unassigned and unassigned[-1][1] == c - 1:
            unassigned[-1][1] = c
        else:
            unassigned.append([c, c])
out = []
for pattern, urls in given['corpus']:
    try:
        compiled = re.compile(pattern)
    except Exception as error:
        out.append({'compiles': False, 'error': str(error)})
        continue
    results = []
    for url in urls:
        m = compiled.match(url)
        if m is None:
            results.append(None)
        else:
            results.append({'end': m.end(), 'course_id': m.groupdict().get('course_id')})
    out.append({'compiles': True, 'results': results})
json.dump({'version': sys.version, 'unidata': unicodedata.unidata_version, 'out': out, 'sets': sets, 'unassigned': unassigned}, sys.stdout)
`;

interface PythonVerdict {
  compiles: boolean;
  error?: string;
  results?: ({ end: number; course_id: string | null } | null)[];
}

/** Debian's python3 where it is, else whatever python3 is on PATH. */
function python(): string | undefined {
  for (const candidate of ['/usr/bin/python3', 'python3']) {
    const probe = spawnSync(candidate, ['--version'], { encoding: 'utf8' });
    if (probe.status === 0 && (candidate !== '/usr/bin/python3' || existsSync(candidate))) return candidate;
  }
  return undefined;
}

const PYTHON = python();
if (PYTHON === undefined && process.env.CI === 'true') throw new Error('python3 is needed for test/lms/regex.test.ts under CI: it is the reference the corpus is checked against.');

const cases = CORPUS.map(([pattern, ...extra]) => ({ pattern, urls: [...URLS, ...extra] }));

/** One-character patterns whose meaning differs between the two languages, checked on every code point. */
const SETS: [flags: string, body: string][] = [
  ['', '\\w'], ['', '\\W'], ['', '\\d'], ['', '\\D'], ['', '\\s'], ['', '\\S'], ['', '.'], ['s', '.'],
  ['a', '\\w'], ['a', '\\s'], ['a', '\\S'], ['', '[^\\W\\d]'], ['', '[\\s/]'], ['', '[^\\s/]'],
  ['i', '[a-z]'], ['i', '[^a-z]'], ['i', 'K'], ['ai', '[a-z]'], ['i', '[^ik]'],
];

interface PythonRun {
  version: string;
  unidata: string;
  out: PythonVerdict[];
  /** Per SETS entry, the [first, last] code point runs Python matches. */
  sets: [number, number][][];
  /** Runs of code points Python's Unicode database does not assign (Node's newer one may). */
  unassigned: [number, number][];
}

function runPython(): PythonRun {
  const input = JSON.stringify({ corpus: cases.map((c) => [c.pattern, c.urls]), sets: SETS });
  const run = spawnSync(PYTHON!, ['-c', PYTHON_SCRIPT], { input, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  if (run.status !== 0) throw new Error(`python3 failed: ${run.stderr}`);
  return JSON.parse(run.stdout) as PythonRun;
}

function verdict(pattern: string): { refused: 'invalid' | 'cannot-check'; message: string } | { regexp: RegExp } {
  try {
    const { source, flags } = pythonMatchRegExp(pattern);
    return { regexp: new RegExp(source, flags) };
  } catch (error) {
    if (!(error instanceof UserError)) throw error;
    if (error.message.startsWith('richie-dev cannot check courseRegex')) return { refused: 'cannot-check', message: error.message };
    expect(error.message).toContain('is not a valid Python regular expression');
    return { refused: 'invalid', message: error.message };
  }
}

describe.skipIf(PYTHON === undefined)('COURSE_REGEX as Python applies it', () => {
  const python: PythonRun = PYTHON === undefined ? { version: '', unidata: '', out: [], sets: [], unassigned: [] } : runPython();

  it('has a corpus of at least 40 regexes', () => {
    expect(cases.length).toBeGreaterThanOrEqual(40);
    expect(python.out).toHaveLength(cases.length);
  });

  it.each(cases.map((c, i) => [c.pattern, i] as const))('%j', (pattern, index) => {
    const expected = python.out[index]!;
    const mine = verdict(pattern);
    if (!expected.compiles) {
      // Python refuses it: so must richie-dev, as invalid.
      expect(mine, `Python: ${expected.error}`).toMatchObject({ refused: 'invalid' });
      // With Python's own words and position.
      expect((mine as { message: string }).message).toContain(`is not a valid Python regular expression: ${expected.error}.`);
      return;
    }
    if (CANNOT_CHECK.has(pattern)) {
      expect(mine).toMatchObject({ refused: 'cannot-check' });
      return;
    }
    expect('regexp' in mine ? 'accepted' : mine.message).toBe('accepted');
    const regexp = (mine as { regexp: RegExp }).regexp;
    const urls = cases[index]!.urls;
    const got = urls.map((url) => {
      const match = regexp.exec(url);
      if (match === null) return null;
      return { end: Array.from(match[0]).length, course_id: match.groups?.course_id ?? null };
    });
    const want = expected.results!.map((r) => (r === null ? null : { end: r.end, course_id: r.course_id }));
    expect(got.map((g, i) => [JSON.stringify(urls[i]), g])).toEqual(want.map((w, i) => [JSON.stringify(urls[i]), w]));
  });

  const marks = (runs: [number, number][]) => {
    const marked = new Uint8Array(0x110000);
    for (const [first, last] of runs) marked.fill(1, first, last + 1);
    return marked;
  };
  // Every code point but the surrogates, which JavaScript would pair up; those are tried one by one.
  let everything = '';
  for (let c = 0; c < 0x110000; c++) if (c < 0xd800 || c > 0xdfff) everything += String.fromCodePoint(c);

  it.each(SETS.map(([flags, body], i) => [flags ? `(?${flags})${body}` : body, i] as const))('%s matches the same code points as in Python', (pattern, index) => {
    const unassigned = marks(python.unassigned);
    const expected = marks(python.sets[index]!);
    const { source, flags } = pythonMatchRegExp(pattern);
    // The translation is "^(?:X)"; runs of X over every code point, as Python's side does.
    const inner = source.slice('^(?:'.length, -1);
    const got = new Uint8Array(0x110000);
    for (const match of everything.matchAll(new RegExp(`(?:${inner})+`, `${flags}g`))) for (const char of match[0]) got[char.codePointAt(0)!] = 1;
    const single = new RegExp(source, flags);
    for (let c = 0xd800; c <= 0xdfff; c++) got[c] = single.test(String.fromCharCode(c)) ? 1 : 0;
    const differ: string[] = [];
    for (let c = 0; c < 0x110000; c++) if (got[c] !== expected[c] && !unassigned[c]) differ.push(`U+${c.toString(16).toUpperCase()}`);
    expect(differ, `Python's Unicode ${python.unidata}, Node's ${process.versions.unicode}`).toEqual([]);
  });

  it('lists as "cannot check" only patterns Python accepts', () => {
    for (const pattern of CANNOT_CHECK) {
      const index = cases.findIndex((c) => c.pattern === pattern);
      expect(index, pattern).toBeGreaterThanOrEqual(0);
      expect(python.out[index]!.compiles, pattern).toBe(true);
    }
  });

  it('derives a JS_COURSE_REGEX that finds the same id as re.match, as Richie\'s front end applies it', () => {
    let compared = 0;
    cases.forEach(({ pattern, urls }, index) => {
      const expected = python.out[index]!;
      if (!expected.compiles || CANNOT_CHECK.has(pattern) || !pattern.includes('(?P<course_id>')) return;
      let javascript: string;
      try {
        javascript = courseRegexes(pattern).javascript;
      } catch (error) {
        // Said so, with the fix: give jsCourseRegex.
        expect((error as Error).message).toContain('richie-dev cannot derive jsCourseRegex');
        return;
      }
      urls.forEach((url, i) => {
        const id = expected.results![i]?.course_id;
        // The derived regex keeps JavaScript's own ".", "$", \d, \w: the same on a serialized URL.
        if (!id || /[^\x20-\x7e]/.test(url)) return;
        expect([pattern, url, url.match(new RegExp(javascript))?.[1]]).toEqual([pattern, url, id]);
        compared++;
      });
    });
    expect(compared).toBeGreaterThan(40);
  });
});

describe('checkCourseUrl', () => {
  it("Richie's defaults pass and give the course id", () => {
    expect(checkCourseUrl(courseRegexes(RICHIE), SAMPLE)).toBe('course-v1:richie+demo+2026');
    expect(courseRegexes(RICHIE).javascript).toBe('^.*/courses/(.*)/course/?$');
  });

  it('says that re.match is anchored when COURSE_REGEX only matches further in', () => {
    const regexes = { python: '/courses/(?P<course_id>[^/]+)/course/', javascript: '/courses/([^/]+)/course/' };
    expect(() => checkCourseUrl(regexes, SAMPLE)).toThrow(
      "COURSE_REGEX does not match at the start of the URL: Python's re.match is anchored there; start it with ^.* like Richie's default.",
    );
    expect(extractCourseId(regexes, SAMPLE)).toEqual({ javascript: 'course-v1:richie+demo+2026' });
  });

  it('says which side fails, and shows the URL and both regexes', () => {
    const regexes = courseRegexes(RICHIE, '^.*/course-runs/(.*)/$');
    let message = '';
    try {
      checkCourseUrl(regexes, SAMPLE);
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain("JS_COURSE_REGEX does not match the URL (Richie's front end searches it with url.match)");
    expect(message).not.toContain('COURSE_REGEX does not match at the start');
    expect(message).toContain(`  URL:              ${SAMPLE}`);
    expect(message).toContain(`  COURSE_REGEX:     ${RICHIE}`);
    expect(message).toContain('  JS_COURSE_REGEX:  ^.*/course-runs/(.*)/$');
  });

  it('takes the JavaScript id from match[1], as Richie\'s front end does', () => {
    // A named group is still group 1 in JavaScript; a group before it is not the id.
    expect(checkCourseUrl(courseRegexes(RICHIE, '/courses/(?<id>[^/]+)/'), SAMPLE)).toBe('course-v1:richie+demo+2026');
    expect(() => checkCourseUrl(courseRegexes(RICHIE, '(https)://.*/courses/([^/]+)/'), SAMPLE)).toThrow(
      'COURSE_REGEX extracts "course-v1:richie+demo+2026" but JS_COURSE_REGEX extracts "https"',
    );
  });

  it('refuses an empty or absent course id on either side', () => {
    expect(() => checkCourseUrl(courseRegexes('^.*/courses/(?P<course_id>[^/]*)/'), 'https://x/courses//')).toThrow('its course_id group is empty');
    expect(() => checkCourseUrl(courseRegexes('^(?:x(?P<course_id>y)|.*)'), SAMPLE)).toThrow('its course_id group takes no part in the match');
    expect(() => checkCourseUrl(courseRegexes(RICHIE, '^.*/courses/(?:.*)/course/?$'), SAMPLE)).toThrow('its first group, which Richie\'s front end takes as the course id, is empty or absent');
  });
});

describe('courseRegexes', () => {
  it.each([
    [RICHIE, '^.*/courses/(.*)/course/?$'],
    ['.*/courses/(?P<course_id>[^/]+)/course/?\\Z', '^.*/courses/([^/]+)/course/?$'],
    ['\\A.*/c/(?P<kind>[a-z]+)/(?P<course_id>\\d+)$', '^.*/c/(?:[a-z]+)/(\\d+)$'],
    ['(?i)^.*/c/(?P<course_id>\\d+)', '^.*/[cC]/(\\d+)'],
    ['^.*/courses/(?P<course_id>[^/]+)/(?P<again>x)(?P=again)', '^.*/courses/([^/]+)/(x)(?:\\2)'],
    ['(?s)^(?#x).*/(?P<course_id>.+)$', '^[\\s\\S]*/([\\s\\S]+)$'],
  ])('derives %s as %s', (python, js) => {
    expect(courseRegexes(python).javascript).toBe(js);
  });

  it('refuses to derive when a group comes before course_id, and says to give jsCourseRegex', () => {
    expect(() => courseRegexes('^.*/(?P<seg>[a-z]+)/(?P<course_id>[^/]+)/(?P=seg)/')).toThrow(
      "richie-dev cannot derive jsCourseRegex from courseRegex",
    );
  });

  it('names the key, the regex, the problem and the fix for a regex Python refuses', () => {
    let error: UserError | undefined;
    try {
      courseRegexes('^.*/courses/(?<course_id>[^/]+)/course/?$');
    } catch (caught) {
      error = caught as UserError;
    }
    expect(error).toBeInstanceOf(UserError);
    expect(error!.message).toBe(
      'courseRegex "^.*/courses/(?<course_id>[^/]+)/course/?$" is not a valid Python regular expression: unknown extension ?<c at position 13. ' +
        "Richie compiles it with Python's re module, so every course-run sync would fail. Python names a group (?P<name>...), not (?<name>...).",
    );
    expect(error!.fix).toContain('Fix courseRegex in richie-dev.config.json');
  });

  it('says "cannot check" for what it cannot reproduce', () => {
    expect(() => courseRegexes('^.*/courses/(?P<course_id>[^/]++)/')).toThrow(
      'richie-dev cannot check courseRegex "^.*/courses/(?P<course_id>[^/]++)/": it uses a possessive quantifier',
    );
  });

  it('requires a course_id group', () => {
    expect(() => courseRegexes(JOANIE)).toThrow('has no named group (?P<course_id>...)');
  });

  it('refuses a jsCourseRegex JavaScript cannot compile', () => {
    expect(() => courseRegexes(RICHIE, '^.*/courses/(?P<id>.*)')).toThrow('jsCourseRegex "^.*/courses/(?P<id>.*)" is not a valid JavaScript regular expression');
  });
});
