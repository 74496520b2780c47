// The demo catalog's course-run sync endpoint, written to answer as Richie's does:
// `POST /api/v1.0/course-runs-sync` (richie: src/richie/apps/courses/api.py,
// `sync_course_runs_from_request` and `sync_course_run`), with the LMS selection of
// src/richie/apps/courses/lms/__init__.py, the EdX helpers of src/richie/apps/courses/lms/edx.py,
// the field validation of src/richie/apps/courses/serializers.py (`SyncCourseRunSerializer`, a
// DRF ModelSerializer over the CourseRun model in src/richie/apps/courses/models/course.py) and
// the code normalisation of src/richie/apps/courses/utils.py.
//
// Also a read-only view of the demo state (`GET /api/v1.0/course-runs/demo`), which Richie does
// not have: the tests and the page use it to see what a sync changed.
//
// Where the demo stops short of Richie: only JSON bodies (Richie's DRF would also parse a form
// body; here 415), no OPTIONS metadata (405), JSON parse errors worded by JavaScript, no course
// pages marked dirty, and an exception Richie would raise (a course key that does not split, an
// unknown BACKEND, a non-string resource_link...) is a plain 500.
//
// Standard library only.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { demoRuns } from './demo-runs.mjs';

const env = process.env;

// ---------------------------------------------------------------------------------------------
// Settings, read from the names the rest of richie-dev renders.

/** django-configurations' ListValue: split on commas, strip each item, drop empty ones. */
const SECRETS = (env.DJANGO_RICHIE_COURSE_RUN_SYNC_SECRETS ?? '')
  .trim()
  .split(',')
  .map((s) => s.trim())
  .filter(Boolean);

const EDX_BACKEND = 'richie.apps.courses.lms.edx.EdXLMSBackend';
const BASE_BACKEND = 'richie.apps.courses.lms.base.BaseLMSBackend';
const JOANIE_BACKEND = 'richie.apps.courses.lms.joanie.JoanieBackend';

// Richie's sandbox default (sandbox/settings.py, RICHIE_LMS_BACKENDS), used when richie-dev
// renders nothing.
const DEFAULT_LMS = {
  BASE_URL: env.EDX_BASE_URL || 'http://localhost:8073',
  BACKEND: EDX_BACKEND,
  COURSE_REGEX: '^.*/courses/(?P<course_id>.*)/course/?$',
  JS_BACKEND: 'openedx-hawthorn',
  JS_COURSE_REGEX: '^.*/courses/(.*)/course/?$',
  JS_NEXT_URL: 'richie',
  COURSE_RUN_SYNC_NO_UPDATE_FIELDS: [],
  DEFAULT_COURSE_RUN_SYNC_MODE: 'sync_to_public',
};
export const LMS_BACKENDS = env.RICHIE_DEV_LMS_BACKENDS ? JSON.parse(env.RICHIE_DEV_LMS_BACKENDS) : [DEFAULT_LMS];
const REGEX_MATCH = env.RICHIE_DEV_COURSE_REGEX_MATCH ? JSON.parse(env.RICHIE_DEV_COURSE_REGEX_MATCH) : [];

/**
 * The JavaScript equivalent of `re.match(COURSE_REGEX, url)` for each backend. richie-dev's
 * translator renders RICHIE_DEV_COURSE_REGEX_MATCH (already anchored at the start); without it,
 * a rough stand-in: named groups renamed, anchored at the start as `re.match` is.
 */
const MATCHERS = LMS_BACKENDS.map((lms, i) => {
  const given = REGEX_MATCH[i];
  if (given) return new RegExp(given.source, given.flags);
  // select_lms defaults a missing COURSE_REGEX to r".*" (lms/__init__.py).
  const python = lms.COURSE_REGEX ?? '.*';
  return new RegExp(`^(?:${python.replace(/\(\?P</g, '(?<').replace(/\(\?P=(\w+)\)/g, '\\k<$1>')})`);
});

const DATA = env.RICHIE_DEV_DATA_DIR || '/data';
const STATE_FILE = `${DATA}/catalog.json`;
const SAMPLE_LINK = env.RICHIE_DEV_SAMPLE_COURSE_URL || `${LMS_BACKENDS[0]?.BASE_URL ?? DEFAULT_LMS.BASE_URL}/courses/course-v1:richie+demo+2026/course/`;
/** One demo course per LMS, each with a run on that LMS (the first is SAMPLE_LINK). */
export const SAMPLE_LINKS = env.RICHIE_DEV_SAMPLE_COURSE_URLS ? JSON.parse(env.RICHIE_DEV_SAMPLE_COURSE_URLS) : [SAMPLE_LINK];

// Richie's sandbox runs with TIME_ZONE = "Europe/Paris" and USE_TZ = True (sandbox/settings.py,
// not read from the environment): a date without an offset is Paris time.
const TIME_ZONE = 'Europe/Paris';

// ---------------------------------------------------------------------------------------------
// Errors the view turns into responses.

/** DRF's ValidationError: a 400 whose body is the error dict. */
class ValidationError extends Error {
  constructor(detail) {
    super('validation error');
    this.detail = detail;
  }
}
/** richie.apps.courses.exceptions.MissingResourceLinkError */
class MissingResourceLink extends Error {}
/** An exception Richie does not catch (TypeError, ValueError, AttributeError...): a 500. */
class ServerError extends Error {}

// ---------------------------------------------------------------------------------------------
// Python's str() of a JSON value, for the messages DRF formats with `{input}`.

function pyStr(value) {
  if (value === null) return 'None';
  if (value === true) return 'True';
  if (value === false) return 'False';
  if (typeof value === 'number') return pyFloatOrInt(value);
  if (typeof value === 'string') return value;
  return pyRepr(value);
}
function pyFloatOrInt(n) {
  // JSON does not tell 1 from 1.0 once parsed; integers print as Python ints, other numbers as
  // Python's float repr (shortest digits, scientific below 1e-4 and from 1e16).
  if (Number.isInteger(n)) return String(n);
  const [mantissa, e] = n.toExponential().split('e');
  const exp = Number(e);
  const sign = n < 0 ? '-' : '';
  const ds = mantissa.replace(/[-.]/g, '');
  if (exp < -4 || exp >= 16) return `${sign}${ds[0]}${ds.length > 1 ? `.${ds.slice(1)}` : ''}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  if (exp < 0) return `${sign}0.${'0'.repeat(-exp - 1)}${ds}`;
  return `${sign}${ds.slice(0, exp + 1).padEnd(exp + 1, '0')}.${ds.slice(exp + 1) || '0'}`;
}
function pyRepr(value) {
  if (typeof value === 'string') {
    const quote = value.includes("'") && !value.includes('"') ? '"' : "'";
    const body = value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/\r/g, '\\r').replace(/\t/g, '\\t');
    return quote + (quote === "'" ? body.replace(/'/g, "\\'") : body) + quote;
  }
  if (Array.isArray(value)) return `[${value.map(pyRepr).join(', ')}]`;
  if (value && typeof value === 'object') return `{${Object.entries(value).map(([k, v]) => `${pyRepr(k)}: ${pyRepr(v)}`).join(', ')}}`;
  return pyStr(value);
}
function pyTypeName(value) {
  if (value === null) return 'NoneType';
  if (typeof value === 'boolean') return 'bool';
  if (typeof value === 'number') return Number.isInteger(value) ? 'int' : 'float';
  if (typeof value === 'string') return 'str';
  return Array.isArray(value) ? 'list' : 'dict';
}
const isObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);
/** Python truthiness of a JSON value. */
const truthy = (v) => !(v === null || v === undefined || v === false || v === 0 || v === '' || (Array.isArray(v) && v.length === 0) || (isObject(v) && Object.keys(v).length === 0));

// ---------------------------------------------------------------------------------------------
// Dates: DRF's DateTimeField parses with Django's parse_datetime (django/utils/dateparse.py):
// Python 3.11's datetime.fromisoformat first (Richie's image is python:3.11), then Django's
// regex; naive results are made aware in TIME_ZONE. Stored as UTC ISO 8601.

const DATETIME_INVALID = 'Datetime has wrong format. Use one of these formats instead: YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z].';
const isDigit = (c) => c !== undefined && c >= '0' && c <= '9';

function digits(chars, at, n) {
  for (let i = at; i < at + n; i++) if (!isDigit(chars[i])) return null;
  return Number(chars.slice(at, at + n).join(''));
}

/** datetime.date.fromisocalendar: week 53 only in years that have it; null when out of range. */
function isoWeekToDate(year, week, day) {
  const jan1 = new Date(0);
  jan1.setUTCFullYear(year, 0, 1);
  const jan1Weekday = jan1.getUTCDay(); // Sunday 0, as _ymd2ord(year, 1, 1) % 7
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  if (week < 1 || week > 53 || (week === 53 && !(jan1Weekday === 4 || (jan1Weekday === 3 && leap)))) return null;
  if (day < 1 || day > 7) return null;
  const jan4 = new Date(0);
  jan4.setUTCFullYear(year, 0, 4);
  const monday = jan4.getTime() - ((jan4.getUTCDay() + 6) % 7) * 86400000;
  const d = new Date(monday + ((week - 1) * 7 + (day - 1)) * 86400000);
  return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate() };
}

/** The separator position in Python 3.11's _find_isoformat_datetime_separator. */
function isoSeparator(c) {
  const len = c.length;
  if (len === 7) return 7;
  if (c[4] === '-') {
    if (c[5] === 'W') {
      if (len < 8) return -1;
      if (len > 8 && c[8] === '-') {
        if (len === 9) return -1;
        if (len > 10 && isDigit(c[10])) return 8;
        return 10;
      }
      return 8;
    }
    return 10;
  }
  if (c[4] === 'W') {
    let idx = 7;
    while (idx < len && isDigit(c[idx])) idx++;
    if (idx < 9) return idx;
    return idx % 2 === 0 ? 7 : 8;
  }
  return 8;
}

function isoDate(c) {
  const year = digits(c, 0, 4);
  if (year === null) return null;
  let p = 4;
  const sep = c[p] === '-';
  if (sep) p++;
  if (c[p] === 'W') {
    p++;
    const week = digits(c, p, 2);
    if (week === null) return null;
    p += 2;
    let day = 1;
    if (p < c.length) {
      if (sep && c[p++] !== '-') return null;
      day = digits(c, p, 1);
      if (day === null) return null;
    }
    return isoWeekToDate(year, week, day);
  }
  const month = digits(c, p, 2);
  if (month === null) return null;
  p += 2;
  if (sep && c[p++] !== '-') return null;
  const day = digits(c, p, 2);
  if (day === null) return null;
  return { year, month, day };
}

/**
 * parse_hh_mm_ss_ff from CPython 3.11's _datetimemodule.c, on code points (past the end reads
 * as NUL): { v: [h, m, s], micro, rc } with rc 0 = consumed, 1 = more follows; null on error.
 */
function hhmmssff(c, start, end) {
  const at = (i) => (i < c.length ? c[i] : '\0');
  const v = [0, 0, 0];
  let p = start;
  let hasSep = true;
  for (let i = 0; i < 3; i++) {
    const n = digits(c, p, 2);
    if (n === null) return null;
    v[i] = n;
    p += 2;
    const ch = at(p++);
    if (i === 0) hasSep = ch === ':';
    if (p >= end) return { v, micro: 0, rc: ch !== '\0' ? 1 : 0 };
    if (hasSep && ch === ':') continue;
    if (ch === '.' || ch === ',') break;
    if (!hasSep) p--;
    else return null;
  }
  const toParse = Math.min(end - p, 6);
  const f = digits(c, p, toParse);
  if (f === null) return null;
  p += toParse;
  const micro = f * 10 ** (6 - toParse);
  while (isDigit(at(p))) p++;
  return { v, micro, rc: at(p) !== '\0' ? 1 : 0 };
}

function isoTime(c, start) {
  const end = c.length;
  let tz = start;
  do {
    if (['Z', '+', '-'].includes(c[tz])) break;
  } while (++tz < end);
  const t = hhmmssff(c, start, tz);
  if (!t) return null;
  const [hour, minute, second] = t.v;
  if (tz >= end) return t.rc ? null : { hour, minute, second, micro: t.micro, offset: null };
  if (c[tz] === 'Z') return tz + 1 === end ? { hour, minute, second, micro: t.micro, offset: 0 } : null;
  const sign = c[tz] === '-' ? -1 : 1;
  const o = hhmmssff(c, tz + 1, end);
  if (!o || o.rc) return null;
  // timezone() takes offsets strictly within a day.
  const offsetMicro = (o.v[0] * 3600 + o.v[1] * 60 + o.v[2]) * 1e6 + o.micro;
  if (offsetMicro >= 86400e6) return null;
  return { hour, minute, second, micro: t.micro, offset: (sign * offsetMicro) / 1e3 }; // ms, fractional when the offset has microseconds
}

/** Python 3.11 datetime.fromisoformat, as plain fields (offset in ms or null), or null. */
function fromIsoFormat(s) {
  const c = Array.from(s);
  if (c.length < 7) return null;
  const sepAt = isoSeparator(c);
  if (sepAt < 0) return null;
  const date = isoDate(c.slice(0, sepAt));
  if (!date) return null;
  let time = { hour: 0, minute: 0, second: 0, micro: 0, offset: null };
  if (c.length > sepAt) {
    time = isoTime(c, sepAt + 1);
    if (!time) return null;
  }
  return { ...date, ...time };
}

const DJANGO_DATETIME = /^(?<year>\d{4})-(?<month>\d{1,2})-(?<day>\d{1,2})[T ](?<hour>\d{1,2}):(?<minute>\d{1,2})(?::(?<second>\d{1,2})(?:[.,](?<micro>\d{1,6})\d{0,6})?)?\s*(?<tz>Z|[+-]\d{2}(?::?\d{2})?)?$/;

function djangoRegex(s) {
  const m = DJANGO_DATETIME.exec(s.endsWith('\n') ? s.slice(0, -1) : s);
  if (!m) return null;
  const g = m.groups;
  let offset = null;
  if (g.tz === 'Z') offset = 0;
  else if (g.tz) {
    const minutes = 60 * Number(g.tz.slice(1, 3)) + (g.tz.length > 3 ? Number(g.tz.slice(-2)) : 0);
    offset = (g.tz[0] === '-' ? -minutes : minutes) * 60000;
  }
  return { year: +g.year, month: +g.month, day: +g.day, hour: +g.hour, minute: +g.minute, second: +(g.second ?? 0), micro: g.micro ? Number(g.micro.padEnd(6, '0')) : 0, offset };
}

function validFields(d) {
  const leap = (d.year % 4 === 0 && d.year % 100 !== 0) || d.year % 400 === 0;
  const monthDays = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][d.month - 1];
  return (d.offset === null || Math.abs(d.offset) < 86400000) && d.year >= 1 && d.year <= 9999 && d.month >= 1 && d.month <= 12 && d.day >= 1 && d.day <= monthDays && d.hour <= 23 && d.minute <= 59 && d.second <= 59;
}

function wallClockMs(d) {
  const t = new Date(0);
  t.setUTCFullYear(d.year, d.month - 1, d.day);
  t.setUTCHours(d.hour, d.minute, d.second, 0);
  return t.getTime();
}

const zoneFormat = new Intl.DateTimeFormat('en-US', { timeZone: TIME_ZONE, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric', era: 'short' });
/** The UTC offset of TIME_ZONE at a UTC instant, in ms. */
function zoneOffset(utcMs) {
  const parts = Object.fromEntries(zoneFormat.formatToParts(new Date(utcMs)).map((p) => [p.type, p.value]));
  const year = parts.era === 'BC' ? 1 - Number(parts.year) : Number(parts.year);
  const local = wallClockMs({ year, month: +parts.month, day: +parts.day, hour: +parts.hour % 24, minute: +parts.minute, second: +parts.second });
  return local - Math.floor(utcMs / 1000) * 1000;
}
/** django.utils.timezone.make_aware with zoneinfo (fold=0): in a gap or an overlap, the offset before the transition. */
function makeAware(localMs) {
  const before = zoneOffset(localMs - 36 * 3600000);
  const after = zoneOffset(localMs + 36 * 3600000);
  if (zoneOffset(localMs - before) === before) return localMs - before;
  if (zoneOffset(localMs - after) === after) return localMs - after;
  return localMs - before;
}

/** An ISO 8601 UTC string (from microseconds since the epoch) as Python's isoformat writes it, 'Z' for +00:00 as DRF does. */
function formatUtc(micros) {
  const floorDiv = (a, b) => (a >= 0n ? a / b : -((-a + b - 1n) / b));
  const seconds = floorDiv(micros, 1000000n);
  const micro = Number(micros - seconds * 1000000n);
  const d = new Date(Number(seconds) * 1000);
  const pad = (n, w = 2) => String(n).padStart(w, '0');
  const base = `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}T${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
  return `${base}${micro ? `.${pad(micro, 6)}` : ''}Z`;
}

/** DRF DateTimeField.to_internal_value: the UTC ISO string, or null when invalid. */
export function parseDateTime(value) {
  if (typeof value !== 'string') return null;
  let d = fromIsoFormat(value);
  if (!d || !validFields(d)) {
    d = djangoRegex(value);
    if (!d || !validFields(d)) return null;
  }
  const local = wallClockMs(d);
  const utcMs = d.offset === null ? makeAware(local) : local;
  // In microseconds: an offset may carry some (fromisoformat takes +HH:MM:SS.ffffff).
  const offsetMicros = d.offset === null ? 0n : BigInt(Math.round(d.offset * 1000));
  return formatUtc(BigInt(utcMs) * 1000n + BigInt(d.micro) - offsetMicros);
}

// ---------------------------------------------------------------------------------------------
// SyncCourseRunSerializer's fields, in Meta.fields order, as DRF's ModelSerializer builds them
// from the CourseRun model.

// ALL_LANGUAGES defaults to Django's global_settings.LANGUAGES (src/richie/apps/core/defaults.py);
// these are Django 4.2's codes (Richie requires Django<5).
const LANGUAGES = new Set('af ar ar-dz ast az bg be bn br bs ca ckb cs cy da de dsb el en en-au en-gb eo es es-ar es-co es-mx es-ni es-ve et eu fa fi fr fy ga gd gl he hi hr hsb hu hy ia id ig io is it ja ka kab kk km kn ko ky lb lt lv mk ml mn mr ms my nb ne nl nn os pa pl pt pt-br ro ru sk sl sq sr sr-latn sv sw ta te tg th tk tr tt udm uk ur uz vi zh-hans zh-hant'.split(' '));
const VISIBILITIES = new Set(['course_and_search', 'course_only', 'hidden']);
const OFFERS = new Set(['free', 'partially_free', 'subscription', 'paid']);
const CERTIFICATE_OFFERS = new Set(['free', 'subscription', 'paid']);
const MAX_INT = 2147483647; // PostgreSQL's range for PositiveIntegerField

const fail = (message) => {
  throw new FieldError([message]);
};
class FieldError extends Error {
  constructor(messages) {
    super(messages.join(' '));
    this.messages = messages;
  }
}

function charField({ maxLength, allowNull = false, allowBlank = false, required = false }) {
  return {
    required,
    allowNull,
    validate(value) {
      if (value === '' || pyStr(value).trim() === '') {
        if (!allowBlank) fail('This field may not be blank.');
        return '';
      }
      if (typeof value === 'boolean' || !(typeof value === 'string' || typeof value === 'number')) fail('Not a valid string.');
      const s = pyStr(value).trim();
      const errors = [];
      if (maxLength !== undefined && Array.from(s).length > maxLength) errors.push(`Ensure this field has no more than ${maxLength} characters.`);
      if (s.includes('\0')) errors.push('Null characters are not allowed.');
      const surrogate = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.exec(s);
      if (surrogate) errors.push(`Surrogate characters are not allowed: U+${surrogate[0].charCodeAt(0).toString(16).toUpperCase()}.`);
      if (errors.length) throw new FieldError(errors);
      return s;
    },
  };
}

function dateTimeField() {
  return {
    allowNull: true,
    validate(value) {
      return parseDateTime(value) ?? fail(DATETIME_INVALID);
    },
  };
}

function choice(choices, value, allowBlank = false) {
  if (value === '' && allowBlank) return '';
  const key = pyStr(value);
  if (!choices.has(key)) fail(`"${key}" is not a valid choice.`);
  return key;
}

function choiceField(choices, { allowNull = false, allowBlank = false } = {}) {
  return { allowNull, validate: (value) => choice(choices, value, allowBlank) };
}

function integerField({ min, max }) {
  return {
    validate(value) {
      if (typeof value === 'string' && value.length > 1000) fail('String value too large.');
      // int(re.sub(r'\.0*\s*$', '', str(data))): Python's int() takes surrounding blanks, a sign
      // and underscores between digits.
      const s = pyStr(value).replace(/\.0*\s*$/, '');
      if (typeof value === 'boolean' || !/^\s*[+-]?\d+(?:_\d+)*\s*$/.test(s)) fail('A valid integer is required.');
      const n = BigInt(s.trim().replace(/_/g, ''));
      if (n < BigInt(min)) fail(`Ensure this value is greater than or equal to ${min}.`);
      if (n > BigInt(max)) fail(`Ensure this value is less than or equal to ${max}.`);
      return Number(n);
    },
  };
}

/** DRF DecimalField(max_digits=9, decimal_places=2) over Python's decimal.Decimal. */
function decimalField() {
  const maxDigits = 9;
  const places = 2;
  return {
    allowNull: true,
    emptyIsNull: true, // DecimalField.validate_empty_values: a blank string is None when nullable
    validate(value) {
      const s = pyStr(value).trim();
      if (s.length > 1000) fail('String value too large.');
      const m = /^[+-]?(?:(\d+(?:_\d+)*)(?:\.(\d+(?:_\d+)*)?)?|\.(\d+(?:_\d+)*))(?:[eE]([+-]?\d+(?:_\d+)*))?$/.exec(s);
      if (!m) fail('A valid number is required.'); // also NaN and Infinity, refused by DRF
      const whole = (m[1] ?? '').replace(/_/g, '');
      const frac = (m[2] ?? m[3] ?? '').replace(/_/g, '');
      const exp = Number((m[4] ?? '0').replace(/_/g, '')) - frac.length;
      const coefficient = (whole + frac).replace(/^0+(?=\d)/, '') || '0';
      const n = coefficient.length;
      let total;
      let wholeDigits;
      let decimals;
      if (exp >= 0) [total, wholeDigits, decimals] = [n + exp, n + exp, 0];
      else if (n > -exp) [total, wholeDigits, decimals] = [n, n + exp, -exp];
      else [total, wholeDigits, decimals] = [-exp, 0, -exp];
      if (total > maxDigits) fail(`Ensure that there are no more than ${maxDigits} digits in total.`);
      if (decimals > places) fail(`Ensure that there are no more than ${places} decimal places.`);
      if (wholeDigits > maxDigits - places) fail(`Ensure that there are no more than ${maxDigits - places} digits before the decimal point.`);
      // Quantized to two places; DRF represents decimals as strings.
      const scaled = BigInt(coefficient) * 10n ** BigInt(exp + places);
      const negative = s.startsWith('-'); // Decimal keeps the sign of a zero
      const abs = scaled.toString().padStart(places + 1, '0');
      return `${negative ? '-' : ''}${abs.slice(0, -places)}.${abs.slice(-places)}`;
    },
  };
}

const SERIALIZER = [
  ['resource_link', charField({ maxLength: 200, allowNull: true, allowBlank: true, required: true })],
  ['start', dateTimeField()],
  ['end', dateTimeField()],
  ['enrollment_start', dateTimeField()],
  ['enrollment_end', dateTimeField()],
  [
    // ListMultipleChoiceField(choices=ALL_LANGUAGES): declared on the serializer, so required.
    'languages',
    {
      required: true,
      validate(value) {
        if (typeof value === 'string' || value === null || typeof value !== 'object') fail(`Expected a list of items but got type "${pyTypeName(value)}".`);
        const items = Array.isArray(value) ? value : Object.keys(value); // a dict iterates over its keys
        return [...new Set(items.map((item) => choice(LANGUAGES, item)))].sort();
      },
    },
  ],
  ['enrollment_count', integerField({ min: 0, max: MAX_INT })],
  ['catalog_visibility', choiceField(VISIBILITIES)],
  ['price', decimalField()],
  ['price_currency', charField({ maxLength: 7 })],
  ['offer', choiceField(OFFERS, { allowNull: true, allowBlank: true })],
  ['certificate_price', decimalField()],
  ['certificate_offer', choiceField(CERTIFICATE_OFFERS, { allowNull: true, allowBlank: true })],
  ['discounted_price', decimalField()],
  ['discount', charField({ maxLength: 20, allowNull: true, allowBlank: true })],
  ['certificate_discounted_price', decimalField()],
  ['certificate_discount', charField({ maxLength: 20, allowNull: true, allowBlank: true })],
];
/** The fields a sync can set, in Richie's order. */
export const COURSE_RUN_FIELDS = SERIALIZER.map(([name]) => name);

/** The CourseRun model's defaults for a run created by a sync. */
const MODEL_DEFAULTS = Object.fromEntries(COURSE_RUN_FIELDS.map((f) => [f, null]));
Object.assign(MODEL_DEFAULTS, { languages: [], enrollment_count: 0, catalog_visibility: 'course_and_search', price_currency: 'EUR' });

/** serializer.is_valid(): [validated data, errors or null]. */
function validate(data, partial) {
  const validated = {};
  const errors = {};
  for (const [name, field] of SERIALIZER) {
    if (!Object.hasOwn(data, name)) {
      if (!partial && field.required) errors[name] = ['This field is required.'];
      continue;
    }
    const value = data[name];
    if (value === null || (field.emptyIsNull && field.allowNull && pyStr(value).trim() === '')) {
      if (!field.allowNull) errors[name] = ['This field may not be null.'];
      else validated[name] = null;
      continue;
    }
    try {
      validated[name] = field.validate(value);
    } catch (error) {
      if (!(error instanceof FieldError)) throw error;
      errors[name] = error.messages;
    }
  }
  return [validated, Object.keys(errors).length ? errors : null];
}

// ---------------------------------------------------------------------------------------------
// LMS helpers (lms/__init__.py, lms/edx.py, utils.py).

/** LMSHandler.select_lms: the first backend whose COURSE_REGEX re.match-es the link. */
function selectLms(link) {
  if (typeof link !== 'string') throw new ServerError('re.match on a non-string: TypeError');
  const index = MATCHERS.findIndex((re) => re.exec(link) !== null);
  if (index < 0) return null;
  const config = LMS_BACKENDS[index];
  // import_string(BACKEND): the demo knows Richie's own three backends.
  if (![EDX_BACKEND, BASE_BACKEND, JOANIE_BACKEND].includes(config.BACKEND)) throw new ServerError(`cannot import ${config.BACKEND}`);
  return { index, config, matcher: MATCHERS[index] };
}

/** BaseLMSBackend.default_course_run_sync_mode: the LMS's value, else the setting's default. */
const defaultSyncMode = (config) => config.DEFAULT_COURSE_RUN_SYNC_MODE || 'sync_to_public';

/** edx.py split_course_key: course-v1:org+course+run or org/course/run, exactly three parts. */
export function splitCourseKey(key) {
  const parts = key.startsWith('course-v1:') ? key.slice(10).split('+') : key.split('/');
  if (parts.length !== 3) throw new ServerError(`cannot split course key ${key}: ValueError`);
  return parts;
}

/** utils.py normalize_code: Django's slugify(code, allow_unicode=True), upper-cased. */
export function normalizeCode(code) {
  if (!code) return null;
  return code
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}_\s-]/gu, '')
    .replace(/[-\s]+/gu, '-')
    .replace(/^[-_]+|[-_]+$/g, '')
    .toUpperCase();
}

/** The course code a backend extracts from sync data (EdXLMSBackend / JoanieBackend). */
function extractCourseCode(lms, data) {
  if (lms.config.BACKEND === JOANIE_BACKEND) return typeof data.course === 'string' || data.course == null ? data.course : pyStr(data.course);
  if (lms.config.BACKEND !== EDX_BACKEND) throw new ServerError('BaseLMSBackend has no extract_course_code: AttributeError');
  const courseId = lms.matcher.exec(data.resource_link)?.groups?.course_id;
  if (typeof courseId !== 'string') throw new ServerError('no course_id group in COURSE_REGEX');
  return splitCourseKey(courseId)[1];
}

// EdXLMSBackend.clean_course_run_data: OpenEdX visibility values to Richie's.
const VISIBILITY_MAPPING = { both: 'course_and_search', about: 'course_only', none: 'hidden' };

// ---------------------------------------------------------------------------------------------
// State: courses (by code) and runs, each with its own sync_mode, a draft version and,
// once published, a public one.

/** The course id COURSE_REGEX finds in a sample link (re.match's course_id group), or null. */
function sampleCourseId(link) {
  const lms = LMS_BACKENDS.findIndex((_, i) => MATCHERS[i].exec(link));
  const id = lms >= 0 ? MATCHERS[lms].exec(link)?.groups?.course_id : undefined;
  return typeof id === 'string' && id ? id : null;
}

/**
 * The demo runs of sample link `index`, dated now (demo-runs.mjs, the definition the demo LMS
 * holds too): the first demo course has one run in each state a learner can meet, the others
 * their sample run alone. Each run's link is the sample link with its course id swapped.
 */
function demoLinks(link, index) {
  const id = sampleCourseId(link);
  if (id === null) return [{ link, dates: demoRuns('x/x/x', { states: false })[0] }];
  return demoRuns(id, { states: index === 0 }).map((run) => ({ link: run.run === null ? link : link.replace(id, run.course_id), dates: run }));
}

const DATE_FIELDS = ['start', 'end', 'enrollment_start', 'enrollment_end'];
const datesOf = (version) => Object.fromEntries(DATE_FIELDS.map((f) => [f, version[f] ?? null]));
const sameDates = (a, b) => DATE_FIELDS.every((f) => (a?.[f] ?? null) === (b?.[f] ?? null));

/** A demo course and its run on `link`, as a first sync with its LMS's default mode then a publication would leave them. */
function seed(link, index, dates) {
  const lms = LMS_BACKENDS.findIndex((_, i) => MATCHERS[i].exec(link));
  let code = null;
  try {
    if (lms >= 0) code = normalizeCode(extractCourseCode({ config: { ...LMS_BACKENDS[lms], BACKEND: EDX_BACKEND }, matcher: MATCHERS[lms] }, { resource_link: link }));
  } catch {
    // a sample URL the regex does not split: the course still exists, under a fixed code
  }
  code ||= index === 0 ? 'DEMO' : `DEMO-${index + 1}`;
  // OpenEdX's catalog_visibility mapped as EdXLMSBackend.clean_course_run_data maps it.
  const run = { ...MODEL_DEFAULTS, resource_link: link, ...datesOf(dates), languages: ['en'], catalog_visibility: VISIBILITY_MAPPING[dates.catalog_visibility] ?? 'course_and_search' };
  return {
    course: { code, title: index === 0 ? 'Demo course' : `Demo course ${index + 1}`, published: true },
    run: { course: code, sync_mode: defaultSyncMode(LMS_BACKENDS[Math.max(lms, 0)] ?? DEFAULT_LMS), draft: run, public: { ...run } },
  };
}

function initialState() {
  const st = { version: 3, courses: [], runs: [], seeded: {} };
  seedMissing(st);
  return st;
}

/**
 * At each start: seed every demo run that has none yet (an LMS added since the last start), and
 * date again, from now, each version of a demo run whose dates are still the ones seeded (a
 * run a sync has changed keeps its dates). Returns whether anything changed.
 */
function seedMissing(st) {
  let changed = false;
  SAMPLE_LINKS.forEach((sample, i) => {
    // The sample run's course code names the course; every run of that sample link joins it.
    let courseCode = null;
    for (const { link, dates } of demoLinks(sample, i)) {
      const fresh = datesOf(dates);
      const existing = st.runs.find((r) => r.draft.resource_link === link);
      if (existing) {
        courseCode ??= existing.course;
        for (const version of [existing.draft, existing.public]) {
          if (version && sameDates(version, st.seeded[link]) && !sameDates(version, fresh)) Object.assign(version, fresh), (changed = true);
        }
      } else {
        const { course, run } = seed(link, i, dates);
        courseCode ??= course.code;
        run.course = courseCode;
        if (!st.courses.some((c) => c.code === courseCode)) st.courses.push({ ...course, code: courseCode });
        st.runs.push(run);
        changed = true;
      }
      if (!sameDates(st.seeded[link], fresh)) (st.seeded[link] = fresh), (changed = true);
    }
  });
  return changed;
}

let state;
function load() {
  if (state) return state;
  mkdirSync(DATA, { recursive: true });
  try {
    const saved = JSON.parse(readFileSync(STATE_FILE, 'utf8'));
    if (saved.version === 3) {
      state = saved;
      if (seedMissing(state)) save();
      return state;
    }
  } catch {
    // no state yet
  }
  state = initialState();
  save();
  return state;
}
function save() {
  writeFileSync(`${STATE_FILE}.tmp`, JSON.stringify(state, null, 2));
  renameSync(`${STATE_FILE}.tmp`, STATE_FILE);
}

// Seeded at start, as Richie's database is before any sync: a restart with other settings keeps
// each run's sync_mode.
load();

/** The whole demo state: { courses, runs: [{ course, sync_mode, draft, public }] }. */
export function catalogState() {
  const { courses, runs } = load();
  return structuredClone({ courses, runs });
}

/** The demo run of LMS `index` (0: the one on RICHIE_DEV_SAMPLE_COURSE_URL): { course, sync_mode, draft, public }. */
export function demoRun(index = 0) {
  const link = SAMPLE_LINKS[index];
  return structuredClone(load().runs.find((r) => r.draft.resource_link === link) ?? null);
}

/** The fields of the demo run's public (default) or draft version, as the course page shows them; null when that version does not exist. */
export function demoCourseRun({ draft = false, index = 0 } = {}) {
  const run = demoRun(index);
  return (draft ? run?.draft : run?.public) ?? null;
}

// ---------------------------------------------------------------------------------------------
// sync_course_run (api.py)

function syncCourseRun(data, st) {
  const link = data.resource_link;
  if (!truthy(link)) throw new MissingResourceLink();
  const lms = selectLms(link);
  if (!lms) throw new ValidationError({ resource_link: ['No LMS configuration found for this resource link.'] });
  const syncMode = defaultSyncMode(lms.config);

  const drafts = st.runs.filter((r) => r.draft.resource_link === link);

  if (lms.config.BACKEND === EDX_BACKEND && Object.hasOwn(data, 'catalog_visibility')) {
    const v = data.catalog_visibility;
    if (v !== null && typeof v === 'object') throw new ServerError('unhashable catalog_visibility: TypeError');
    const key = typeof v === 'string' ? v : null;
    if (key !== null && Object.hasOwn(VISIBILITY_MAPPING, key)) data.catalog_visibility = VISIBILITY_MAPPING[key];
  }
  const [validated, errors] = validate(data, drafts.length > 0);
  if (errors) throw new ValidationError(errors);

  if (drafts.length) {
    // Fields protected from updates are dropped whenever the run exists, whatever its mode.
    const noUpdate = lms.config.COURSE_RUN_SYNC_NO_UPDATE_FIELDS ?? [];
    const update = Object.fromEntries(Object.entries(validated).filter(([key]) => !noUpdate.includes(key)));
    // Only runs whose OWN sync_mode allows it are updated (the model's default is manual).
    for (const run of drafts.filter((r) => r.sync_mode === 'sync_to_draft' || r.sync_mode === 'sync_to_public')) {
      Object.assign(run.draft, update);
      if (run.sync_mode !== 'sync_to_public') continue;
      if (run.public) Object.assign(run.public, update);
      // No public run yet (nb_updated == 1): public_course.copy_relations copies every draft run
      // of the course to the public page (models/course.py), not only this one.
      else if (st.courses.find((c) => c.code === run.course)?.published) {
        for (const sibling of st.runs.filter((r) => r.course === run.course)) sibling.public = structuredClone(sibling.draft);
      }
    }
    return;
  }

  if (syncMode === 'manual') throw new ValidationError({ resource_link: ['Unknown course run when creation is deactivated.'] });

  const code = normalizeCode(extractCourseCode(lms, data));
  const course = st.courses.find((c) => code !== null && c.code === code);
  if (!course) {
    // f"Unknown course: {course_code:s}." raises TypeError on None
    if (code === null) throw new ServerError('course code None: TypeError');
    throw new ValidationError({ resource_link: [`Unknown course: ${code}.`] });
  }
  const draft = { ...MODEL_DEFAULTS, ...validated };
  st.runs.push({ course: course.code, sync_mode: syncMode, draft, public: syncMode === 'sync_to_public' && course.published ? structuredClone(draft) : null });
}

// ---------------------------------------------------------------------------------------------
// HTTP

function send(res, status, body, headers = {}) {
  res.statusCode = status;
  for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
  if (typeof body === 'string' && headers['content-type']?.startsWith('text/')) return res.end(body);
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify(body));
}
const serverError = (res) => send(res, 500, '<!doctype html>\n<html lang="en">\n<head>\n  <title>Server Error (500)</title>\n</head>\n<body>\n  <h1>Server Error (500)</h1><p></p>\n</body>\n</html>\n', { 'content-type': 'text/html; charset=utf-8' });

const readBody = (req) =>
  new Promise((resolve, reject) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });

/** hmac.compare_digest of the header against `SIG-HMAC-SHA256 <hex>` under each secret (utils.py get_signature). */
function signatureIsValid(header, body) {
  const given = Buffer.from(header, 'latin1');
  return SECRETS.some((secret) => {
    const expected = Buffer.from(`SIG-HMAC-SHA256 ${createHmac('sha256', Buffer.from(secret, 'utf8')).update(body).digest('hex')}`);
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
}

/** DRF's parser choice for the request body: JSON (or an empty body) only. */
function parseBody(req, body) {
  // An empty body is never parsed: request.data is {} (rest_framework/request.py).
  if (body.length === 0) return { data: {} };
  const type = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
  const [main, sub] = type.split('/');
  const matches = (m, s) => (main === m || main === '*') && (sub === s || sub === '*');
  if (matches('application', 'json')) {
    try {
      return { data: JSON.parse(body.toString('utf8')) };
    } catch (error) {
      // Python's json message differs in wording; the shape is DRF's ParseError.
      return { error: [400, { detail: `JSON parse error - ${error.message}` }] };
    }
  }
  // Richie would parse a form body into a QueryDict; the demo only speaks JSON.
  return { error: [415, { detail: `Unsupported media type "${req.headers['content-type'] ?? ''}" in request.` }] };
}

async function syncView(req, res) {
  const body = await readBody(req);
  // request.body.decode("utf-8") comes first in the view: invalid UTF-8 is a 500.
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(body);
  } catch {
    return serverError(res);
  }
  const headers = { allow: 'POST, OPTIONS', vary: 'Accept' };
  const authorization = req.headers.authorization;
  if (!authorization) return send(res, 403, 'Missing authentication.', headers);
  // compare_digest refuses non-ASCII str arguments with a TypeError.
  if (SECRETS.length && /[^\x00-\x7f]/.test(authorization)) return serverError(res);
  if (!signatureIsValid(authorization, body)) return send(res, 401, 'Invalid authentication.', headers);

  const parsed = parseBody(req, body);
  if (parsed.error) return send(res, parsed.error[0], parsed.error[1], headers);
  const data = parsed.data;
  const st = load();
  try {
    if (Array.isArray(data)) {
      // `"resource_link" in d` for every item first: membership on a list or a string, TypeError on others.
      // all() stops at the first item without it.
      const has = (d) => {
        if (isObject(d)) return Object.hasOwn(d, 'resource_link');
        if (Array.isArray(d) || typeof d === 'string') return d.includes('resource_link');
        throw new ServerError('membership test on a scalar: TypeError');
      };
      if (!data.every(has)) return send(res, 400, { resource_link: ['This field is required.'] }, headers);
      const result = {};
      let status = 200;
      for (const item of data) {
        if (!isObject(item)) throw new ServerError('not a dict: AttributeError');
        const key = pyStr(item.resource_link);
        try {
          syncCourseRun(item, st);
          result[key] = { success: true };
        } catch (error) {
          // Only ValidationError is caught per item; anything else ends the request with a 500.
          if (!(error instanceof ValidationError)) throw error;
          result[key] = error.detail;
          status = 400;
        }
      }
      save();
      return send(res, status, result, headers);
    }
    if (!isObject(data)) throw new ServerError('not a dict: AttributeError');
    try {
      syncCourseRun(data, st);
    } catch (error) {
      if (error instanceof MissingResourceLink) return send(res, 400, { resource_link: ['This field is required.'] }, headers);
      if (error instanceof ValidationError) return send(res, 400, error.detail, headers);
      throw error;
    }
    save();
    return send(res, 200, { success: true }, headers);
  } catch (error) {
    if (!(error instanceof ServerError || error instanceof MissingResourceLink)) throw error;
    // No ATOMIC_REQUESTS in Richie's settings: what was saved before the error stays.
    save();
    console.error(`course-runs-sync: 500 (${error.message})`);
    return serverError(res);
  }
}

/**
 * Routes `POST /api/v1.0/course-runs-sync[/]` (Richie's `course-runs-sync/?$`) and the demo's
 * read-only `GET /api/v1.0/course-runs/demo` (the demo run) and `GET /api/v1.0/course-runs/demo/state`
 * (every course and run). Returns false for any other path.
 */
export async function handleSync(req, res) {
  const { pathname } = new URL(req.url, 'http://catalog');
  if (/^\/api\/v1\.0\/course-runs-sync\/?$/.test(pathname)) {
    if (req.method === 'POST') await syncView(req, res);
    else send(res, 405, { detail: `Method "${req.method}" not allowed.` }, { allow: 'POST, OPTIONS', vary: 'Accept' });
    return true;
  }
  const demo = /^\/api\/v1\.0\/course-runs\/demo(?:-(\d+))?$/.exec(pathname);
  if (demo && req.method === 'GET' && (!demo[1] || (Number(demo[1]) >= 2 && Number(demo[1]) <= SAMPLE_LINKS.length))) {
    send(res, 200, demoRun(demo[1] ? Number(demo[1]) - 1 : 0));
    return true;
  }
  if (pathname === '/api/v1.0/course-runs/demo/state' && req.method === 'GET') {
    send(res, 200, catalogState());
    return true;
  }
  return false;
}
