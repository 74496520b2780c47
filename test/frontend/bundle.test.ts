/**
 * The demo catalog's front end is Richie's released code, built from node_modules alone: the
 * build runs in a network namespace with no network at all, from the pinned richie-education,
 * and the bundle carries Richie's LMS client and every bundled package's licence.
 */
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, hasTool, sh } from '../helpers.js';

const STATIC = join(ROOT, 'templates', 'images', 'demo-catalog', 'static');

describe("the demo catalog's front end", () => {
  it('builds with no network (unshare -n), from the pinned richie-education', async () => {
    expect(hasTool('unshare')).toBe(true);
    const pinned = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).devDependencies['richie-education'];
    expect(pinned).toMatch(/^\d+\.\d+\.\d+$/); // an exact version, no range
    const installed = JSON.parse(readFileSync(join(ROOT, 'node_modules', 'richie-education', 'package.json'), 'utf8')).version;
    expect(installed).toBe(pinned);
    const before = statSync(join(STATIC, 'richie-frontend.js')).mtimeMs;
    const built = await sh('unshare', ['-n', process.execPath, join(ROOT, 'frontend', 'build.mjs')]);
    expect(built.exitCode, built.stderr).toBe(0);
    expect(statSync(join(STATIC, 'richie-frontend.js')).mtimeMs).toBeGreaterThan(before);
  });

  it("carries Richie's openedx-hawthorn, dogwood and dummy clients, not a copy of ours", () => {
    const bundle = readFileSync(join(STATIC, 'richie-frontend.js'), 'utf8');
    // Strings that exist only in richie-education's js/api/lms modules.
    for (const marker of ['[SESSION OpenEdX API] > Cannot retrieve user', '/api/enrollment/v1/enrollment', '/api/mobile/v0.5/my_user_info', 'RICHIE_DUMMY_IS_LOGGED_IN', 'edx_csrf_token', 'Richie frontend context is not defined.']) {
      expect(bundle, marker).toContain(marker);
    }
  });

  it("carries Richie's own widgets and their mounting, not the ones the demo page never mounts", () => {
    const bundle = readFileSync(join(STATIC, 'richie-frontend.js'), 'utf8');
    // Default messages of SyllabusCourseRunsList, CourseRunEnrollment and UserLogin, and index.tsx's lang check.
    for (const marker of ['No opened course runs', 'Enrollment in this course run is closed at the moment', 'You are enrolled in this course run', 'components.UserLogin.logIn', '<html> lang attribute is required']) {
      expect(bundle, marker).toContain(marker);
    }
    // Widgets left out (frontend/build.mjs UNUSED_WIDGETS): the search's and the dashboard's own strings.
    for (const marker of ['components.Search.', 'components.DashboardSidebar.']) expect(bundle, marker).not.toContain(marker);
  });

  it("compiles Richie's stylesheet from its scss/", () => {
    const css = readFileSync(join(STATIC, 'richie.css'), 'utf8');
    for (const selector of ['.course-detail__runs', '.topbar__item', '.subheader__title', '.c__button']) expect(css, selector).toContain(selector);
    // Richie's fonts are Django static files the npm package lacks: no rule asks for them (a browser aborts each such load).
    expect(css).not.toContain('/static/richie/fonts/');
  });

  it('keeps the licence of every bundled package', () => {
    const licences = readFileSync(join(STATIC, 'richie-frontend.LICENSES.txt'), 'utf8');
    // react-router itself, not an empty stand-in: Richie's Joanie module (js/api/lms/joanie.ts) calls its matchPath.
    for (const pkg of ['richie-education 3.4.0 — MIT', 'js-cookie', 'lodash-es', 'keycloak-js', '@sentry/browser', 'react 19.2.4', 'react-intl', '@openfun/cunningham-react', 'react-router 7.12.0 — MIT']) expect(licences, pkg).toContain(pkg);
  });
});
