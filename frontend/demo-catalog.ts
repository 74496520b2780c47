// The demo catalog's course-run enrollment widget: what Richie's own CourseRunEnrollment and
// UserLogin widgets do, on Richie's released API modules (richie-education's js/api/lms and
// js/api/authentication), configured by window.__richie_frontend_context__ as Richie's
// FrontendContextProcessor sets it. Only the DOM glue is ours; every call to the LMS is
// Richie's code.
import LmsAPIHandler from 'api/lms';
import { AuthenticationApi } from 'api/authentication';

const $ = (id: string) => document.getElementById(id) as HTMLElement;
const show = (text: string) => {
  $('status').textContent = text;
};
const reveal = (...ids: string[]) => ids.forEach((id) => ($(id).hidden = false));

async function main(): Promise<void> {
  const section = document.getElementById('enrollment');
  if (!section) return;
  const link = section.dataset.resourceLink ?? '';
  if (!AuthenticationApi) {
    show('no authentication backend in the frontend context');
    return;
  }
  let lms: ReturnType<typeof LmsAPIHandler>;
  try {
    // findLmsBackend: the first lms_backends entry whose course_regexp matches the run's link.
    lms = LmsAPIHandler(link);
  } catch (error) {
    show(`no enrollment: ${(error as Error).message}`);
    return;
  }
  $('login').onclick = () => AuthenticationApi!.login();
  $('register').onclick = () => AuthenticationApi!.register();
  // As Richie's session does (contexts/SessionContext/BaseSessionProvider.tsx, destroy): the
  // user is forgotten, no reload, which would cancel a logout that navigates (keycloak-js's).
  $('logout').onclick = async () => {
    await AuthenticationApi!.logout();
    $('user').textContent = 'not logged in';
    show('log in to enroll');
    ['logout', 'enroll'].forEach((id) => ($(id).hidden = true));
    reveal('login', 'register');
  };
  const user = await AuthenticationApi.me();
  if (!user) {
    $('user').textContent = 'not logged in';
    show('log in to enroll');
    reveal('login', 'register');
    return;
  }
  $('user').textContent = user.username;
  reveal('logout');
  try {
    const enrollment = await lms.enrollment.get(link, user);
    const active = await lms.enrollment.isEnrolled(enrollment);
    show(active ? 'enrolled' : 'not enrolled');
    if (active) return;
    reveal('enroll');
    $('enroll').onclick = async () => {
      try {
        const enrolled = await lms.enrollment.set(link, user);
        show(enrolled ? 'enrolled' : 'not enrolled');
        $('enroll').hidden = Boolean(enrolled);
      } catch (error) {
        const { localizedMessage, message } = error as { localizedMessage?: string; message: string };
        show(`enrollment failed: ${localizedMessage ?? message}`);
      }
    };
  } catch (error) {
    show(`cannot read the enrollment: ${(error as Error).message}`);
  }
}

main().catch((error) => show(`error: ${(error as Error).message}`));
