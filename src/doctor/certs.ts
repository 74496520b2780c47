/**
 * Doctor checks for the CA, the certificate and trust: the same content checks setup-ssl
 * uses to decide whether to act, reported with their fix instead of acted upon.
 */
import { X509Certificate } from 'node:crypto';
import { caKeyMode, readCa, type LocalCa } from '../certs/ca.js';
import { caDatesProblem, leafNames, leafProblems, RENEW_DAYS } from '../certs/leaf.js';
import { isPermitted } from '../certs/x509.js';
import { allowDomainFlags, domainsToAllow, unacceptedNames } from '../domains.js';
import { readIfExists } from '../fsutil.js';
import { hostCertPaths } from '../paths.js';
import { applyTrust, browserReports, discover } from '../trust/index.js';
import { lookupFailure, memo, type Check, type CheckOutcome, type DoctorContext } from './types.js';

const NO_CERTIFICATES_OVER_HTTP = 'run-ssl creates the certificates';

type CaLookup = { ca?: LocalCa; error?: string; fix?: string };

function loadCa(ctx: DoctorContext): Promise<CaLookup> {
  return memo(ctx, 'ca', async () => {
    try {
      const ca = await readCa(ctx.root.dir);
      return ca ? { ca } : { error: `no CA in ${ctx.root.dir}`, fix: 'richie-dev setup-ssl' };
    } catch (error) {
      return lookupFailure(error);
    }
  });
}

const noCa = (lookup: CaLookup): CheckOutcome => ({ status: 'fail', seen: lookup.error ?? 'no CA', fix: lookup.fix ?? 'richie-dev setup-ssl' });

export const caFilesCheck: Check = {
  id: 'ca-files',
  group: 'certificates',
  title: 'CA files and modes',
  tlsOnly: NO_CERTIFICATES_OVER_HTTP,
  async run(ctx) {
    const lookup = await loadCa(ctx);
    if (!lookup.ca) return noCa(lookup);
    const { mode, exposed } = await caKeyMode(lookup.ca);
    if (exposed) {
      return { status: 'warn', seen: `${lookup.ca.keyFile} has mode ${mode.toString(8)}: other users can read the CA key`, fix: `chmod 400 ${lookup.ca.keyFile}` };
    }
    return { status: 'pass', seen: `${lookup.ca.dir}: rootCA.pem, rootCA-key.pem (${lookup.ca.keyDescription}, key mode ${mode.toString(8)})` };
  },
};

const RECREATE = 'richie-dev setup-ssl --force && richie-dev trust install';

/**
 * The CA's validity, read from its certificate: an expired CA fails, and so does one ending
 * before the project's certificate (which then stops working with it); one ending before a
 * certificate issued today would warns. The fix makes a new CA.
 */
export const caDatesCheck: Check = {
  id: 'ca-dates',
  group: 'certificates',
  title: 'CA dates',
  tlsOnly: NO_CERTIFICATES_OVER_HTTP,
  async run(ctx) {
    const lookup = await loadCa(ctx);
    if (!lookup.ca) return noCa(lookup);
    const ca = lookup.ca;
    const problem = caDatesProblem(ca, ctx.now);
    if (problem?.kind === 'expired') return { status: 'fail', seen: problem.message, fix: RECREATE };
    const outlived: string[] = [];
    for (const host of ctx.hosts) {
      const file = hostCertPaths(ctx.paths, host).cert;
      const pem = await readIfExists(file).catch(() => undefined);
      let end: Date | undefined;
      try {
        end = pem === undefined ? undefined : new Date(new X509Certificate(pem).validTo);
      } catch {
        end = undefined; // the certificate check names an unreadable certificate
      }
      if (end && end.getTime() > ca.notAfter.getTime()) outlived.push(`${file} (${end.toISOString().slice(0, 10)})`);
    }
    const caEnd = ca.notAfter.toISOString().slice(0, 10);
    if (outlived.length) return { status: 'fail', seen: `the CA ${ca.certFile} ends on ${caEnd}, before ${outlived.join(', ')}`, fix: RECREATE };
    if (problem) return { status: 'warn', seen: problem.message, fix: RECREATE };
    return { status: 'pass', seen: `valid until ${caEnd}` };
  },
};

export const caConstraintsCheck: Check = {
  id: 'ca-constraints',
  group: 'certificates',
  title: 'CA name constraints cover the hosts',
  tlsOnly: NO_CERTIFICATES_OVER_HTTP,
  async run(ctx) {
    const lookup = await loadCa(ctx);
    if (!lookup.ca) return noCa(lookup);
    const { constraints } = lookup.ca;
    if (!constraints) {
      return {
        status: 'warn',
        seen: `the CA has no name constraints (made by mkcert?): a leaked key could sign for any site; richie-dev installs it into trust stores only with --allow-unconstrained-ca (SHA-256 ${lookup.ca.fingerprint})`,
        fix: 'Use a CA made by "richie-dev setup-ssl" (a CA root without mkcert\'s files).',
      };
    }
    const outside = leafNames(ctx.hosts).filter((name) => !isPermitted(name, constraints));
    if (outside.length) {
      return { status: 'fail', seen: `${outside.join(', ')} outside the CA's constraints (${[...constraints.dns, ...constraints.ip].join(', ')})`, fix: 'richie-dev setup-ssl --force && richie-dev trust install' };
    }
    const real = unacceptedNames(constraints.dns);
    if (real.length) {
      return {
        status: 'warn',
        seen: `limited to ${[...constraints.dns, ...constraints.ip].join(', ')}: ${real.join(', ')} ${real.length === 1 ? 'is' : 'are'} outside the domains reserved for local use, so trust install needs ${allowDomainFlags(domainsToAllow(real))}`,
        fix: 'Use hosts under local.dev or .test, or accept the domain with --allow-domain if you mean it.',
      };
    }
    return { status: 'pass', seen: `limited to ${[...constraints.dns, ...constraints.ip].join(', ')}` };
  },
};

export const leafCheck: Check = {
  id: 'certificate',
  group: 'certificates',
  title: 'Certificate: key, names, dates, issuer',
  tlsOnly: NO_CERTIFICATES_OVER_HTTP,
  async run(ctx) {
    const lookup = await loadCa(ctx);
    const names = leafNames(ctx.hosts);
    const problems: string[] = [];
    let daysLeft: number | undefined;
    for (const host of ctx.hosts) {
      const files = hostCertPaths(ctx.paths, host);
      const [certPem, keyPem] = await Promise.all([readIfExists(files.cert), readIfExists(files.key)]);
      if (certPem === undefined || keyPem === undefined) {
        problems.push(`${certPem === undefined ? files.cert : files.key} is missing`);
        continue;
      }
      // Expiry is judged below (warn under 30 days), so only a past date counts as a problem here.
      const check = leafProblems({ certPem, keyPem, names, ...(lookup.ca ? { ca: lookup.ca } : {}), now: ctx.now, minDaysLeft: 0, certFile: files.cert, keyFile: files.key });
      problems.push(...check.problems);
      if (check.info) daysLeft = Math.min(daysLeft ?? Infinity, check.info.daysLeft);
    }
    if (problems.length) return { status: 'fail', seen: problems.join('; '), fix: 'richie-dev setup-ssl' };
    if (daysLeft !== undefined && daysLeft < RENEW_DAYS) {
      return { status: 'warn', seen: `expires in ${daysLeft} days`, fix: 'richie-dev setup-ssl (it renews under 30 days)' };
    }
    return { status: 'pass', seen: `covers ${names.join(', ')}; ${daysLeft} days left; chains to the CA` };
  },
};

export const trustCheck: Check = {
  id: 'trust',
  group: 'trust',
  title: 'CA trusted by the system and browsers',
  tlsOnly: NO_CERTIFICATES_OVER_HTTP,
  async run(ctx) {
    const lookup = await loadCa(ctx);
    if (!lookup.ca) return noCa(lookup);
    const found = await discover(ctx.env);
    const reports = await applyTrust(lookup.ca, found.stores, 'status');
    const browsers = browserReports(found.browsers, reports);
    const details = [...reports.map((r) => `${r.label}: ${r.after}`), ...browsers.map((b) => `${b.name} (${b.path}): ${b.trusted}${b.reason ? ` — ${b.reason}` : ''}`)];
    // A check names what it examined (STYLE.md, third read): "trusted in 0 stores" is not a pass.
    const untrusting = browsers.filter((b) => b.trusted === 'not-trusted');
    if (untrusting.length) {
      return { status: 'fail', seen: untrusting.map((b) => `${b.name} does not trust the CA (${b.reason})`).join('; '), fix: 'richie-dev trust install', details };
    }
    const missing = reports.filter((r) => r.after === 'not-trusted');
    if (missing.length) return { status: 'fail', seen: `not trusted in ${missing.map((r) => r.label).join(', ')}`, fix: 'richie-dev trust install', details };
    if (reports.length === 0) {
      return { status: 'fail', seen: `no trust store found to check${ctx.env.TRUST_STORES ? ` (TRUST_STORES=${ctx.env.TRUST_STORES})` : ''}, so nothing says the CA is trusted`, fix: 'Unset TRUST_STORES, or install certutil (libnss3-tools) and a browser, then richie-dev trust install', details };
    }
    if (reports.some((r) => r.after === 'unknown') || browsers.some((b) => b.trusted === 'unknown')) return { status: 'warn', seen: 'trust could not be checked in every store', fix: 'richie-dev trust status', details };
    const who = browsers.length ? `; browsers: ${browsers.map((b) => b.name).join(', ')}` : '; no browser found';
    return { status: 'pass', seen: `trusted in ${reports.map((r) => r.label).join(', ')}${who}`, details };
  },
};

export const CERT_CHECKS: readonly Check[] = [caFilesCheck, caDatesCheck, caConstraintsCheck, leafCheck, trustCheck];
