// What Richie's widgets show on a demo course page, read the way a learner reads it. The
// course-run list (richie-education js/widgets/SyllabusCourseRunsList) renders each open run as
// a <dl> of its dates followed by its enrollment widget (CourseRunEnrollment), inside a
// `.course-detail__runs--open` block: in the subheader for a single open run, in the aside
// (#courseDetailsRunsOpen) when there are several. Its strings are Richie's default (en-US)
// messages.

/** The texts of CourseRunEnrollment (its `messages`) and the status each one means. */
export const ENROLLMENT_TEXTS = [
  ['You are enrolled in this course run', 'enrolled'],
  ['Enrollment in this course run is closed at the moment', 'closed'],
  ['Your enrollment request failed.', 'enrollment failed'],
  ['Enrollment fetching failed', 'cannot read the enrollment'],
  ['Log in to enroll', 'log in to enroll'],
  ['Enroll now', 'not enrolled'],
];

/**
 * The enrollment widget's text for the open run whose dates contain `marker` (the first open run
 * without one); null while it loads or when no open run matches. A marker may be a list of texts
 * the run's block must all contain (its dates and "Free access": a Joanie run dated as the LMS's).
 */
export async function enrollmentText(page, marker = '') {
  return page.evaluate((m) => {
    const dls = [...document.querySelectorAll('.course-detail__runs--open dl')];
    const dl = m ? dls.find((d) => [].concat(m).every((text) => d.textContent.includes(text))) : dls[0];
    if (!dl) return null;
    let text = '';
    for (let el = dl.nextElementSibling; el && !['DL', 'H3'].includes(el.tagName); el = el.nextElementSibling) text += ` ${el.textContent}`;
    return text.trim();
  }, marker);
}

/**
 * The link of the run's enrollment widget ("Go to course", shown once enrolled in a started run:
 * for a Joanie run, its enrollment's course_run.resource_link, the run on the LMS), null without one.
 */
export async function courseLink(page, marker = '') {
  return page.evaluate((m) => {
    const dls = [...document.querySelectorAll('.course-detail__runs--open dl')];
    const dl = m ? dls.find((d) => [].concat(m).every((text) => d.textContent.includes(text))) : dls[0];
    for (let el = dl?.nextElementSibling; el && !['DL', 'H3'].includes(el.tagName); el = el.nextElementSibling) {
      const link = el.tagName === 'A' ? el : el.querySelector('a[href]');
      if (link) return link.getAttribute('href');
    }
    return null;
  }, marker);
}

/** The status the run's enrollment widget shows, waiting until it has loaded. */
export async function enrollmentStatus(page, marker = '', timeout = 15000) {
  const deadline = Date.now() + timeout;
  for (;;) {
    const text = await enrollmentText(page, marker);
    const found = text && ENROLLMENT_TEXTS.find(([t]) => text.includes(t));
    if (found) return found[1];
    if (Date.now() > deadline) return `unknown: ${text}`;
    await page.waitForTimeout(200);
  }
}

/**
 * Clicks the button of the run's enrollment widget ("Enroll now", "Log in to enroll"); `marker`
 * as above. The widget renders it once its calls have answered: waits for it as
 * enrollmentStatus waits for the text (a loaded machine takes seconds).
 */
export async function clickEnrollmentButton(page, marker = '', timeout = 15000) {
  const deadline = Date.now() + timeout;
  let button = null;
  for (;;) {
    const handle = await page.evaluateHandle((m) => {
      const dls = [...document.querySelectorAll('.course-detail__runs--open dl')];
      const dl = m ? dls.find((d) => [].concat(m).every((text) => d.textContent.includes(text))) : dls[0];
      for (let el = dl?.nextElementSibling; el && !['DL', 'H3'].includes(el.tagName); el = el.nextElementSibling) {
        const found = el.tagName === 'BUTTON' ? el : el.querySelector('button');
        if (found) return found;
      }
      return null;
    }, marker);
    button = handle.asElement();
    if (button || Date.now() > deadline) break;
    await page.waitForTimeout(200);
  }
  if (!button) throw new Error(`no enrollment button for the run "${marker}"`);
  await button.click();
}

/**
 * The user menu (richie-education js/widgets/UserLogin): the name its button shows once logged in
 * (UserHelper.getName: the full name, else the username), null while it offers "Log in".
 */
export async function userMenu(page) {
  await page.waitForSelector('.richie-react--user-login .selector__button, .richie-react--user-login button:has-text("Log in")', { timeout: 15000 });
  return page.evaluate(() => document.querySelector('.richie-react--user-login .selector__button')?.textContent.trim() ?? null);
}

/** Clicks the user menu's "Log in" button. */
export async function clickLogIn(page) {
  await page.click('.richie-react--user-login button:has-text("Log in")');
}

/**
 * The aside section for closed runs (SyllabusAsideList: Upcoming, Ongoing, Archived...) listing a
 * run whose dates contain `marker`; the open runs' block is left out, as an open run's enrollment
 * dates may read like a closed run's course dates.
 */
export async function asideSection(page, marker) {
  return page.evaluate((m) => {
    const sections = [...document.querySelectorAll('.course-detail__aside .course-detail__runs:not(.course-detail__runs--open)')];
    const section = sections.find((el) => el.textContent.includes(m));
    return section ? { classes: section.className, title: section.querySelector('h3')?.textContent ?? null, buttons: section.querySelectorAll('button, a.c__button').length } : null;
  }, marker);
}

/** Whether a run whose dates contain `marker` is listed among the open runs. */
export async function listedAsOpen(page, marker) {
  return page.evaluate((m) => [...document.querySelectorAll('.course-detail__runs--open dl')].some((dl) => dl.textContent.includes(m)), marker);
}

/** The text of each open run's dates (`.course-detail__runs--open dl`), in the page's order. */
export async function openRunDates(page) {
  return page.evaluate(() => [...document.querySelectorAll('.course-detail__runs--open dl')].map((dl) => dl.textContent));
}
