/**
 * The demo course page's server side, against Richie's: CourseRun.compute_state (richie
 * src/richie/apps/courses/models/course.py) and course_runs_list_widget_props
 * (courses/templatetags/extra_tags.py, ReactPropsCourseRunSerializer in courses/serializers.py).
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, removeDir, tempDir } from '../helpers.js';

type Dates = { start: string | null; end: string | null; enrollment_start: string | null; enrollment_end: string | null };
type PropsRun = Record<string, unknown> & { id: number; resource_link: string };
type DemoState = { courses: { code: string; title: string; published: boolean }[]; runs: object[] };
/** What the test uses of templates/images/demo-catalog/page.mjs (plain JavaScript, no types). */
interface PageModule {
  STATE: Record<string, number>;
  computeState(dates: Dates, now: number): { priority: number; datetime: string | null; call_to_action: string | null; text: string };
  courseRuns(state: DemoState, course: DemoState['courses'][number], options: { draft?: boolean; now?: number }): object[];
  courseRunsListProps(course: DemoState['courses'][number], id: number, runs: object[]): { course: object; courseRuns: PropsRun[]; maxArchivedCourseRuns: number };
  coursePage(course: DemoState['courses'][number], options: { id: number; runs: object[] }): string;
}

const data = tempDir();
let page: PageModule;
beforeAll(async () => {
  // sync.mjs keeps its state under RICHIE_DEV_DATA_DIR from the moment it is imported.
  process.env.RICHIE_DEV_DATA_DIR = data;
  const module: string = join(ROOT, 'templates', 'images', 'demo-catalog', 'page.mjs');
  page = (await import(module)) as PageModule;
});
afterAll(() => removeDir(data));

const NOW = Date.parse('2030-06-15T12:00:00Z');
const DAY = 86_400_000;
const at = (days: number | null) => (days === null ? null : new Date(NOW + days * DAY).toISOString());
const run = (start: number | null, end: number | null, enrollmentStart: number | null, enrollmentEnd: number | null) => ({ start: at(start), end: at(end), enrollment_start: at(enrollmentStart), enrollment_end: at(enrollmentEnd) });

describe('compute_state', () => {
  it.each([
    ['no start', run(null, 10, -5, 5), 'TO_BE_SCHEDULED', 'to be scheduled'],
    ['no enrollment start', run(-1, 10, null, 5), 'TO_BE_SCHEDULED', 'to be scheduled'],
    ['started, enrollment open', run(-1, 10, -5, 5), 'ONGOING_OPEN', 'open for enrollment'],
    ['started, enrollment never ends', run(-1, 10, -5, null), 'ONGOING_OPEN', 'forever open'],
    ['started, enrollment over', run(-10, 10, -20, -5), 'ONGOING_CLOSED', 'on-going'],
    ['no end: on-going forever', run(-10, null, -20, -5), 'ONGOING_CLOSED', 'on-going'],
    ['ended, enrollment open', run(-20, -1, -30, 5), 'ARCHIVED_OPEN', 'closing on'],
    ['ended, enrollment over', run(-20, -1, -30, -5), 'ARCHIVED_CLOSED', 'archived'],
    ['ended, enrollment not yet open', run(-20, -1, 3, 5), 'ARCHIVED_CLOSED', 'archived'],
    ['future, enrollment not yet open', run(10, 20, 3, 5), 'FUTURE_NOT_YET_OPEN', 'starting on'],
    ['future, enrollment open', run(10, 20, -3, 5), 'FUTURE_OPEN', 'starting on'],
    ['future, enrollment over', run(10, 20, -30, -5), 'FUTURE_CLOSED', 'enrollment closed'],
  ] as const)('%s: %s', (_, dates, state, text) => {
    const computed = page.computeState(dates, NOW);
    expect(computed.priority).toBe(page.STATE[state]);
    expect(computed.text).toBe(text);
    // Only the open states call to action (CourseState.STATE_CALLS_TO_ACTION).
    expect(computed.call_to_action).toBe({ ONGOING_OPEN: 'enroll now', FUTURE_OPEN: 'enroll now', ARCHIVED_OPEN: 'study now' }[state as string] ?? null);
  });
});

describe('course_runs_list_widget_props', () => {
  it('lists every run of the course but hidden ones and those without a start, with the serializer\'s fields', () => {
    const state = {
      courses: [{ code: 'DEMO', title: 'Demo course', published: true }, { code: 'OTHER', title: 'Other', published: true }],
      runs: [
        { course: 'DEMO', sync_mode: 'sync_to_public', draft: { resource_link: 'a', ...run(-1, 10, -5, 5), languages: ['en'], catalog_visibility: 'course_and_search' }, public: { resource_link: 'a', ...run(-1, 10, -5, 5), languages: ['en'], catalog_visibility: 'course_and_search' } },
        { course: 'OTHER', sync_mode: 'sync_to_public', draft: { resource_link: 'b', ...run(-1, 10, -5, 5) }, public: { resource_link: 'b', ...run(-1, 10, -5, 5) } },
        { course: 'DEMO', sync_mode: 'sync_to_public', draft: { resource_link: 'c', ...run(-1, 10, -5, 5), catalog_visibility: 'hidden' }, public: { resource_link: 'c', ...run(-1, 10, -5, 5), catalog_visibility: 'hidden' } },
        { course: 'DEMO', sync_mode: 'sync_to_public', draft: { resource_link: 'd', ...run(null, null, null, null), catalog_visibility: 'course_only' }, public: { resource_link: 'd', ...run(null, null, null, null), catalog_visibility: 'course_only' } },
        { course: 'DEMO', sync_mode: 'sync_to_draft', draft: { resource_link: 'e', ...run(30, 60, -5, 20), catalog_visibility: 'course_only' }, public: null },
      ],
    };
    const course = state.courses[0]!;
    const published = page.courseRunsListProps(course, 1, page.courseRuns(state, course, { now: NOW }));
    expect(published.course).toEqual({ id: 1, code: 'DEMO', is_self_paced: false });
    expect(published.maxArchivedCourseRuns).toBe(10);
    expect(published.courseRuns.map((r) => r.resource_link)).toEqual(['a']);
    expect(Object.keys(published.courseRuns[0]!)).toEqual(['id', 'title', 'resource_link', 'start', 'end', 'enrollment_start', 'enrollment_end', 'languages', 'catalog_visibility', 'display_mode', 'snapshot', 'price', 'price_currency', 'offer', 'certificate_price', 'certificate_offer', 'discounted_price', 'discount', 'certificate_discounted_price', 'certificate_discount']);
    expect(published.courseRuns[0]).toMatchObject({ id: 1, title: null, display_mode: 'detailed', snapshot: null });
    // ?draft: the draft versions, the run not yet public included.
    const drafts = page.courseRunsListProps(course, 1, page.courseRuns(state, course, { draft: true, now: NOW }));
    expect(drafts.courseRuns.map((r) => [r.id, r.resource_link])).toEqual([[1, 'a'], [5, 'e']]);
  });

  it('writes the props, the user menu and <html lang> into the page as Richie\'s templates do', () => {
    const state = { courses: [{ code: 'DEMO', title: 'Demo <course>', published: true }], runs: [] };
    const html = page.coursePage(state.courses[0]!, { id: 1, runs: [] });
    expect(html).toContain('<html lang="en-US">');
    expect(html).toContain('class="richie-react richie-react--syllabus-course-runs-list" data-props=\'{&#34;course&#34;:{&#34;id&#34;:1,&#34;code&#34;:&#34;DEMO&#34;');
    expect(html).toContain('class="topbar__item topbar__item--login richie-react richie-react--user-login" data-props=\'{&#34;profileUrls&#34;:');
    // The widget renders its run lists into the page's aside.
    expect(html).toContain('<div class="course-detail__aside">');
    expect(html).toContain('Demo &#60;course&#62;');
    expect(html).not.toContain('Demo <course>');
  });
});
