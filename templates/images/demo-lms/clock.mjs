// The demo apps' clock. RICHIE_DEV_DEMO_NOW (an ISO 8601 instant) sets what "now" is when the
// app starts; time then runs on from there. Without it, the real clock. Tests start the demo a
// year ahead with it, so nothing the demo shows depends on the day it was written.
const given = process.env.RICHIE_DEV_DEMO_NOW;
const startedAt = Date.now();
const offset = given ? Date.parse(given) - startedAt : 0;
if (Number.isNaN(offset)) {
  console.error(`RICHIE_DEV_DEMO_NOW is not an ISO 8601 date: ${given}`);
  process.exit(1);
}

/** The demo's current time, in milliseconds since the epoch. */
export const nowMs = () => Date.now() + offset;
/** The demo's current time. */
export const now = () => new Date(nowMs());
