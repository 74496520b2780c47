// The demo apps' clock. RICHIE_DEV_DEMO_NOW sets what "now" is when the app starts; time then
// runs on from there. Without it, the real clock. Tests start the demo a year ahead with it, so
// nothing the demo shows depends on the day it was written.
//
// One source for both demo images: build/demo-apps.mjs copies this file into
// templates/images/demo-catalog/ and templates/images/demo-lms/ (git-ignored copies).
//
// The accepted forms are the ones richie-dev checks before it renders the value
// (src/lms/env.ts, demoNow): a date (midnight UTC) or a date and time with Z or an offset, so
// that the host and a container in another time zone read the same instant.
export const DEMO_NOW_FORM = /^\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2}))?$/;

const given = process.env.RICHIE_DEV_DEMO_NOW || undefined;
const startedAt = Date.now();
const offset = given ? Date.parse(given) - startedAt : 0;
if (given !== undefined && (!DEMO_NOW_FORM.test(given) || Number.isNaN(offset))) {
  console.error(`RICHIE_DEV_DEMO_NOW is not an ISO 8601 date or date-time with an offset: ${given}`);
  process.exit(1);
}

/** The demo's current time, in milliseconds since the epoch. */
export const nowMs = () => Date.now() + offset;
/** The demo's current time. */
export const now = () => new Date(nowMs());
