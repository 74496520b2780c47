/**
 * What the demo LMS refuses, each as OpenEdX refuses it (status and body), compared with the
 * edx-platform source it comes from (Hawthorn/Ironwood era):
 * - common/djangoapps/enrollment/urls.py routes only ids matching COURSE_ID_PATTERN
 *   (openedx/core/constants.py) after a username matching USERNAME_PATTERN (lms/envs/common.py);
 * - common/djangoapps/enrollment/views.py (EnrollmentView, EnrollmentListView.post): the
 *   messages, the 404 for another user, the 403 for a mode, the 406 for an unknown user;
 * - common/djangoapps/enrollment/api.py (add_enrollment → _default_course_mode: an unknown
 *   course is CourseNotFoundError) and data.py (create_course_enrollment: EnrollmentClosedError
 *   becomes CourseEnrollmentClosedError, a CourseEnrollmentError);
 * - common/djangoapps/student/models.py (CourseEnrollment.enroll, check_access=True) and
 *   lms/djangoapps/courseware/access.py (_can_enroll_courselike: staff pass, invitation_only
 *   denies, enrollment_start < now < enrollment_end);
 * - openedx/core/lib/api/permissions.py (ApiKeyHeaderPermission, ApiKeyHeaderPermissionIsAuthenticated)
 *   and DRF's APIView.initial (permissions before the view, so before its CSRF cookie decorator).
 * The courses are the demo runs (templates/demo-shared/runs.mjs), dated from the LMS's start.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COURSE, SECRETS, browser, cookieNamed, demoLms, logIn, setCookies, type Lms } from './demo-lms.js';

const { renderedEnv, startLms, close } = demoLms();
afterAll(close);

const run = (name: string) => COURSE.replace(/\+2026$/, `+${name}`);
const creationFailed = (user: string, courseId: string) => ({ message: `An error occurred while creating the new course enrollment for user '${user}' in course '${courseId}'` });

describe('the demo LMS refuses what OpenEdX refuses', () => {
  let lms: Lms;
  beforeAll(async () => {
    lms = await startLms(await renderedEnv('hawthorn'));
  });

  it('an unknown course: 400 "No course \'<id>\' found for enrollment" (api.py _default_course_mode → views.py CourseNotFoundError)', async () => {
    const { enroll } = await browser(lms);
    const res = await enroll('course-v1:richie+nowhere+2026');
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(await res.json()).toEqual({ message: "No course 'course-v1:richie+nowhere+2026' found for enrollment" });
  });

  it('a course id CourseKey.from_string refuses: the same 400, from InvalidKeyError (views.py)', async () => {
    const { enroll } = await browser(lms);
    const res = await enroll('not a key');
    expect([res.status, await res.json()]).toEqual([400, { message: "No course 'not a key' found for enrollment" }]);
    const none = await enroll('');
    expect([none.status, await none.json()]).toEqual([400, { message: 'Course ID must be specified to create a new enrollment.' }]);
  });

  it('an enrollment window closed or not yet open: 400 with the generic creation message, and no enrollment (student/models.py EnrollmentClosedError, a CourseEnrollmentError in views.py)', async () => {
    const { enroll, headers } = await browser(lms);
    for (const name of ['closed', 'not-yet-open', 'archived']) {
      const res = await enroll(run(name));
      expect(res.status, name).toBe(400);
      expect(res.headers.get('content-type')).toBe('application/json');
      const body = await res.json();
      expect(body, name).toEqual(creationFailed('student', run(name)));
      expect(body).not.toHaveProperty('localizedMessage');
      const after = await lms(`/api/enrollment/v1/enrollment/student,${run(name)}`, { headers });
      expect([after.status, await after.text()], name).toEqual([200, '']);
    }
  });

  it('open windows enroll, whatever the course dates (access.py looks at the enrollment window only): ongoing, future, archived but open, and no window at all', async () => {
    const { enroll } = await browser(lms);
    for (const courseId of [COURSE, run('future-open'), run('archived-open'), run('to-be-scheduled'), run('hidden')]) {
      const res = await enroll(courseId);
      expect(res.status, courseId).toBe(200);
      expect(await res.json(), courseId).toMatchObject({ user: 'student', is_active: true, mode: 'audit', course_details: { course_id: courseId } });
    }
  });

  it('an invite-only course: the same 400 (access.py: invitation_only denies, nobody is on CourseEnrollmentAllowed)', async () => {
    const { enroll } = await browser(lms);
    const res = await enroll(run('invite-only'));
    expect([res.status, await res.json()]).toEqual([400, creationFailed('student', run('invite-only'))]);
  });

  it('staff bypass the window and invite-only (access.py _has_staff_access_to_descriptor comes first)', async () => {
    const { enroll } = await browser(lms, 'staff');
    for (const name of ['closed', 'not-yet-open', 'archived', 'invite-only']) {
      const res = await enroll(run(name));
      expect(res.status, name).toBe(200);
      expect(await res.json()).toMatchObject({ user: 'staff', is_active: true, course_details: { course_id: run(name) } });
    }
    // Staff may read another user's enrollment (views.py EnrollmentView.get).
    const { headers } = await browser(lms, 'staff');
    const other = await lms(`/api/enrollment/v1/enrollment/student,${COURSE}`, { headers });
    expect(other.status).toBe(200);
  });

  it('already enrolled in an open course: 200 with the enrollment as it was (AlreadyEnrolledError → CourseEnrollmentExistsError)', async () => {
    const { enroll } = await browser(lms);
    const first = (await (await enroll(COURSE)).json()) as { created: string };
    const again = await enroll(COURSE);
    expect(again.status).toBe(200);
    expect(((await again.json()) as { created: string }).created).toBe(first.created);
  });

  it('a learner may not choose another mode (403) nor enroll someone else (404, empty)', async () => {
    const { enroll } = await browser(lms);
    const verified = await enroll(COURSE, { mode: 'verified' });
    expect([verified.status, await verified.json()]).toEqual([403, { message: 'User does not have permission to create enrollment with mode [verified].' }]);
    const other = await enroll(COURSE, { user: 'staff' });
    expect([other.status, other.headers.get('content-type'), await other.text()]).toEqual([404, null, '']);
  });

  it('an id COURSE_ID_PATTERN does not route: Django\'s 404 page, not JSON (urls.py)', async () => {
    const cookie = await logIn(lms);
    for (const target of ['student,not-a-course', 'not-a-course', `student,${COURSE}/extra`, 'student,a+b']) {
      const res = await lms(`/api/enrollment/v1/enrollment/${target}`, { headers: { cookie } });
      expect(res.status, target).toBe(404);
      expect(res.headers.get('content-type'), target).toMatch(/^text\/html/);
    }
    // The pattern routes what is no course key at all; CourseKey.from_string then raises
    // InvalidKeyError, which nothing catches (data.py get_course_enrollment): Django's 500 page.
    const unsplit = await lms('/api/enrollment/v1/enrollment/stu/dent,course-v1:a+b+c', { headers: { cookie } });
    expect([unsplit.status, unsplit.headers.get('content-type')]).toEqual([500, 'text/html; charset=utf-8']);
    // Both course key forms route, as the client sends them (not URL-encoded).
    for (const target of [`student,${COURSE}`, 'student,richie/demo/2026', COURSE]) expect((await lms(`/api/enrollment/v1/enrollment/${target}`, { headers: { cookie } })).status, target).toBe(200);
  });

  it('an anonymous GET: 401 before the view runs, so no cookie is set (DRF permissions, then the ensure_csrf_cookie_cross_domain view)', async () => {
    const res = await lms(`/api/enrollment/v1/enrollment/student,${COURSE}`, { headers: { origin: 'https://richie.local.dev:8070', referer: 'https://richie.local.dev:8070/' } });
    expect(res.status).toBe(401);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(res.headers.get('www-authenticate')).toBe('JWT realm="api"');
    expect(await res.json()).toEqual({ detail: 'Authentication credentials were not provided.' });
    expect(setCookies(res)).toEqual([]);
    const post = await lms('/api/enrollment/v1/enrollment', { method: 'POST', body: JSON.stringify({ course_details: { course_id: COURSE } }), headers: { 'content-type': 'application/json' } });
    expect([post.status, await post.json()]).toEqual([401, { detail: 'Authentication credentials were not provided.' }]);
  });
});

describe('server-to-server enrollment with X-Edx-Api-Key (views.py has_api_key_permissions; the key is EDX_API_KEY in the rendered LMS settings)', () => {
  let lms: Lms;
  let env: Record<string, string>;
  beforeAll(async () => {
    env = await renderedEnv('hawthorn');
    lms = await startLms(env);
  });
  const post = (body: Record<string, unknown>, key: string | null = env.EDX_API_KEY!) =>
    lms('/api/enrollment/v1/enrollment', { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json', ...(key === null ? {} : { 'x-edx-api-key': key }) } });

  it('the rendered settings carry the project key under openedx-docker\'s name', () => {
    expect(env.EDX_API_KEY).toBe(SECRETS.edxApiKey);
  });

  it("enrolls another user in the mode asked, as Joanie does (joanie lms_handler/backends/openedx.py: {is_active, mode, user, course_details})", async () => {
    const res = await post({ is_active: true, mode: 'verified', user: 'student', course_details: { course_id: COURSE } });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ user: 'student', mode: 'verified', is_active: true, course_details: { course_id: COURSE } });
    // The learner sees it.
    const cookie = await logIn(lms);
    expect(await (await lms(`/api/enrollment/v1/enrollment/student,${COURSE}`, { headers: { cookie } })).json()).toMatchObject({ mode: 'verified', is_active: true });
    // The key reads anyone's enrollment.
    expect((await lms(`/api/enrollment/v1/enrollment/student,${COURSE}`, { headers: { 'x-edx-api-key': env.EDX_API_KEY! } })).status).toBe(200);
  });

  it('deactivates and changes the mode of an existing enrollment without an access check (api.update_enrollment)', async () => {
    expect((await post({ is_active: true, mode: 'honor', user: 'student', course_details: { course_id: run('future-open') } })).status).toBe(200);
    const off = await post({ is_active: false, mode: 'honor', user: 'student', course_details: { course_id: run('future-open') } });
    expect([off.status, await off.json()]).toEqual([200, expect.objectContaining({ is_active: false, mode: 'honor' })]);
    const mismatch = await post({ is_active: true, mode: 'verified', user: 'student', course_details: { course_id: run('future-open') } });
    expect(mismatch.status).toBe(200);
    const wrong = await post({ is_active: false, mode: 'audit', user: 'student', course_details: { course_id: run('future-open') } });
    expect([wrong.status, await wrong.json()]).toEqual([400, { message: "Enrollment mode mismatch: active mode=verified, requested mode=audit. Won't deactivate." }]);
  });

  it('a new enrollment still goes through the window check: the key is not staff (CourseEnrollment.enroll, check_access=True)', async () => {
    const res = await post({ is_active: true, mode: 'honor', user: 'student', course_details: { course_id: run('closed') } });
    expect([res.status, await res.json()]).toEqual([400, creationFailed('student', run('closed'))]);
  });

  it('a wrong or missing key is an anonymous caller (401); an unknown user is 406; a non-boolean is_active is 400', async () => {
    expect((await post({ user: 'student', course_details: { course_id: COURSE } }, 'wrong')).status).toBe(401);
    expect((await post({ user: 'student', course_details: { course_id: COURSE } }, null)).status).toBe(401);
    const ghost = await post({ user: 'ghost', course_details: { course_id: COURSE } });
    expect([ghost.status, await ghost.json()]).toEqual([406, { message: 'The user ghost does not exist.' }]);
    const yes = await post({ user: 'student', is_active: 'yes', course_details: { course_id: COURSE } });
    expect([yes.status, await yes.json()]).toEqual([400, { message: "'yes' is an invalid enrollment activation status." }]);
  });

  it('without EDX_API_KEY (openedx-docker\'s default None) no header is a key', async () => {
    const { EDX_API_KEY: _key, ...rest } = env;
    const keyless = await startLms(rest);
    const res = await keyless('/api/enrollment/v1/enrollment', { method: 'POST', body: JSON.stringify({ user: 'student', course_details: { course_id: COURSE } }), headers: { 'content-type': 'application/json', 'x-edx-api-key': '' } });
    expect(res.status).toBe(401);
    expect(cookieNamed(res, 'csrftoken')).toBeUndefined();
  });
});
