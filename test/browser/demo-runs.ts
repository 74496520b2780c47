/**
 * The demo course page's runs, for the browser tests: read from the course-run list widget's
 * props the page carries; each run found on the page by its course dates.
 */
import { sh } from '../helpers.js';

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

/**
 * The marker of seeded run `link` on the catalog's course page `path`: the demo seeds its sample
 * run open now (templates/demo-shared/runs.mjs, ONGOING_OPEN), and the demo LMS enrolls only in
 * the runs it holds, so the tests enroll in that run as the demo dated it.
 */
export async function runMarker(catalogUrl: string, curlArgs: string[], link: string, path = '/en/courses/demo/'): Promise<string> {
  const res = await sh('curl', ['-sS', ...curlArgs, `${catalogUrl}${path}`]);
  const run = courseRunsProps(res.stdout).courseRuns.find((r) => r.resource_link === link);
  if (!run?.start || !run.end) throw new Error(`${link} is not on ${path} with its dates: ${JSON.stringify(run)}`);
  return period({ start: Date.parse(run.start), end: Date.parse(run.end) });
}

/** The resource link of the demo's first run (the catalog's read-only GET /api/v1.0/course-runs/demo, templates/images/demo-catalog/sync.mjs). */
export async function demoLink(catalogUrl: string, curlArgs: string[]): Promise<string> {
  const res = await sh('curl', ['-sS', ...curlArgs, `${catalogUrl}/api/v1.0/course-runs/demo`]);
  return (JSON.parse(res.stdout) as { draft: { resource_link: string } }).draft.resource_link;
}
