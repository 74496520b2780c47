/**
 * The demo course page's runs, for the browser tests: read from the course-run list widget's
 * props the page carries, and made open through the catalog's real sync endpoint, signed with
 * the catalog's own secret (richie courses/api.py, utils.py get_signature), with dates relative
 * to now — whatever runs the demo seeds, the tests enroll in one they opened.
 */
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseEnvFile } from '../../src/render/files.js';
import { sh } from '../helpers.js';

const DAY = 86_400_000;

export interface PropsRun {
  id: number;
  resource_link: string;
  start: string | null;
  end: string | null;
  languages: string[];
  catalog_visibility: string;
}

/** The `data-props` of the page's `.richie-react--syllabus-course-runs-list` element. */
export function courseRunsProps(html: string): { course: { id: number; code: string; is_self_paced: boolean }; courseRuns: PropsRun[]; maxArchivedCourseRuns: number } {
  const match = /richie-react--syllabus-course-runs-list" data-props='([^']*)'/.exec(html);
  if (!match) throw new Error(`no course-run list on the page:\n${html.slice(0, 500)}`);
  return JSON.parse(match[1]!.replace(/&#(\d+);/g, (_, c: string) => String.fromCharCode(Number(c)))) as ReturnType<typeof courseRunsProps>;
}

/** How Richie's widgets write a date (richie-education js/hooks/useDateFormat, en-US), in UTC. */
export const shown = (ms: number): string => new Intl.DateTimeFormat('en-US', { day: '2-digit', month: 'short', year: 'numeric', timeZone: 'UTC' }).format(ms);
/** The "From <start> to <end>" the widgets write for a run's course dates: the run's marker. */
export const period = (run: { start: number; end: number }): string => `From ${shown(run.start)} to ${shown(run.end)}`;

/** POSTs runs to the catalog's sync endpoint, signed with the first of the project's secrets; the parsed answer. */
export async function syncRuns(project: string, catalogUrl: string, curlArgs: string[], runs: object[]): Promise<unknown> {
  const env = parseEnvFile(readFileSync(join(project, '.richie-dev', 'env', 'catalog.env'), 'utf8'));
  const secret = (env.DJANGO_RICHIE_COURSE_RUN_SYNC_SECRETS ?? '').split(',')[0]!.trim();
  const body = JSON.stringify(runs);
  const signature = createHmac('sha256', secret).update(body).digest('hex');
  const res = await sh('curl', ['-sS', ...curlArgs, '-X', 'POST', '-H', 'Content-Type: application/json', '-H', `Authorization: SIG-HMAC-SHA256 ${signature}`, '--data-binary', body, `${catalogUrl}/api/v1.0/course-runs-sync`]);
  if (!res.stdout.startsWith('{')) throw new Error(`course-runs-sync: ${res.stdout}${res.stderr}`);
  return JSON.parse(res.stdout) as unknown;
}

/**
 * Makes run `link` ongoing and open for enrollment at `now` (odd day counts, so no seeded run
 * shares its dates; noon UTC, so no time zone moves a day); returns its marker.
 */
export async function openRun(project: string, catalogUrl: string, curlArgs: string[], link: string, now = Date.now()): Promise<string> {
  const noon = Math.floor(now / DAY) * DAY + DAY / 2;
  const run = { start: noon - 7 * DAY, end: noon + 89 * DAY };
  const iso = (ms: number) => new Date(ms).toISOString();
  const answer = await syncRuns(project, catalogUrl, curlArgs, [{ resource_link: link, start: iso(run.start), end: iso(run.end), enrollment_start: iso(noon - 31 * DAY), enrollment_end: iso(noon + 47 * DAY), catalog_visibility: 'course_and_search' }]);
  if (JSON.stringify(answer) !== JSON.stringify({ [link]: { success: true } })) throw new Error(`course-runs-sync refused ${link}: ${JSON.stringify(answer)}`);
  return period(run);
}

/** The resource link of the demo's first run (the catalog's read-only GET /api/v1.0/course-runs/demo, templates/images/demo-catalog/sync.mjs). */
export async function demoLink(catalogUrl: string, curlArgs: string[]): Promise<string> {
  const res = await sh('curl', ['-sS', ...curlArgs, `${catalogUrl}/api/v1.0/course-runs/demo`]);
  return (JSON.parse(res.stdout) as { draft: { resource_link: string } }).draft.resource_link;
}
