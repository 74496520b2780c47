// The demo's course runs, one in each state a learner can meet on Richie's course page, dated
// from the demo's clock when the app starts (clock.mjs: RICHIE_DEV_DEMO_NOW moves it), so no
// state expires with the calendar.
//
// One definition for both demo apps: the LMS holds these runs (course id, enrollment window,
// invite-only flag) and refuses enrollments as OpenEdX would; the catalog seeds the same runs,
// as the LMS's course hooks would have synced them. build/demo-apps.mjs copies this file into
// templates/images/demo-catalog/ and templates/images/demo-lms/ (git-ignored copies).
//
// The states are Richie's (richie src/richie/apps/courses/models/course.py, CourseState and
// CourseRun.compute_state): a run with no start or no enrollment start is TO_BE_SCHEDULED,
// which Richie leaves out of the course page outside edit mode.
import { nowMs } from './clock.mjs';

const DAY = 86_400_000;
const HOUR = 3_600_000;

/**
 * Each run: the last part of its course id (null: the sample run itself, whose id the project
 * configures), Richie's state for it, its dates in days from now ([start, end, enrollment start,
 * enrollment end], null for unset), OpenEdX's invite-only flag and its catalog visibility
 * (`none` syncs as Richie's `hidden`: a run Richie never lists).
 */
export const DEMO_RUNS = [
  { run: null, state: 'ONGOING_OPEN', days: [-30, 60, -60, 30], inviteOnly: false, visibility: 'both' },
  { run: 'future-open', state: 'FUTURE_OPEN', days: [30, 120, -15, 25], inviteOnly: false, visibility: 'both' },
  { run: 'not-yet-open', state: 'FUTURE_NOT_YET_OPEN', days: [90, 180, 30, 80], inviteOnly: false, visibility: 'both' },
  { run: 'closed', state: 'ONGOING_CLOSED', days: [-60, 30, -90, -45], inviteOnly: false, visibility: 'both' },
  { run: 'archived-open', state: 'ARCHIVED_OPEN', days: [-120, -10, -150, 60], inviteOnly: false, visibility: 'both' },
  { run: 'archived', state: 'ARCHIVED_CLOSED', days: [-240, -120, -270, -150], inviteOnly: false, visibility: 'both' },
  // Open by its dates, so Richie offers it; OpenEdX refuses whoever was not invited (access.py).
  { run: 'invite-only', state: 'ONGOING_OPEN', days: [-30, 60, -60, 30], inviteOnly: true, visibility: 'both' },
  { run: 'hidden', state: 'ONGOING_OPEN', days: [-30, 60, -60, 30], inviteOnly: false, visibility: 'none' },
  { run: 'to-be-scheduled', state: 'TO_BE_SCHEDULED', days: [null, null, null, null], inviteOnly: false, visibility: 'both' },
];

/**
 * The course id of a demo run: the sample course's id with its run part replaced, in the
 * key's own form (course-v1:org+course+run or org/course/run). Null: the sample id itself.
 */
export function runCourseId(sampleCourseId, run) {
  if (run === null) return sampleCourseId;
  const separator = sampleCourseId.startsWith('course-v1:') ? '+' : '/';
  const at = sampleCourseId.lastIndexOf(separator);
  return at < 0 ? `${sampleCourseId}${separator}${run}` : `${sampleCourseId.slice(0, at + 1)}${run}`;
}

/** An ISO 8601 UTC instant as DRF writes it (Z, whole seconds). */
const iso = (ms) => new Date(ms).toISOString().replace('.000Z', 'Z');

/**
 * The demo runs of a course, dated now: [{ run, course_id, state, start, end, enrollment_start,
 * enrollment_end, invite_only, catalog_visibility }]. Dates count from the start of the current hour, so the two
 * apps, started seconds apart, agree. With `states: false`, the sample run alone.
 */
export function demoRuns(sampleCourseId, { states = true } = {}) {
  const base = Math.floor(nowMs() / HOUR) * HOUR;
  const at = (days) => (days === null ? null : iso(base + days * DAY));
  return DEMO_RUNS.filter((r) => states || r.run === null).map((r) => {
    const [start, end, enrollmentStart, enrollmentEnd] = r.days.map(at);
    return { run: r.run, course_id: runCourseId(sampleCourseId, r.run), state: r.state, start, end, enrollment_start: enrollmentStart, enrollment_end: enrollmentEnd, invite_only: r.inviteOnly, catalog_visibility: r.visibility };
  });
}
