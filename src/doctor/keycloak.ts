/**
 * Doctor's Keycloak checks (with `authentication` set), from outside as the browser meets it:
 * Keycloak's host over TLS with richie-dev's certificate and the realm's discovery document, and
 * CORS from the catalog's origin on the two calls keycloak-js makes cross-origin (the token
 * endpoint, with credentials, and /account with an Authorization header).
 */
import { isIPv6 } from 'node:net';
import { join } from 'node:path';
import { keycloakModel, type KeycloakModel } from '../auth/keycloak.js';
import { command, run } from '../exec.js';
import { publishTarget } from './stack.js';
import type { Check, CheckOutcome, DoctorContext } from './types.js';

const notConfigured: CheckOutcome = { status: 'skip', seen: 'no "authentication" in richie-dev.config.json' };

/** curl pinned to where the stack publishes Keycloak's port: this checks trust, not names. */
async function curl(ctx: DoctorContext, model: KeycloakModel, url: string, args: string[], trust: 'system' | 'ca'): ReturnType<typeof run> {
  const { address } = await publishTarget(ctx);
  const pinned = isIPv6(address) ? `[${address}]` : address;
  const ca = trust === 'ca' ? ['--cacert', join(ctx.paths.sslDir, 'ca.pem')] : [];
  return run(command('curl', ['-sS', '--max-time', '5', '--resolve', `${model.host}:${model.port}:${pinned}`, ...ca, ...args, url]), { reject: false });
}

const curlError = (stderr: string) => (stderr.split('\n').find((l) => l.startsWith('curl: (')) ?? stderr.split('\n').find((l) => l.trim()) ?? 'no answer').replace(/^curl: \(\d+\) /, '').trim();

export const keycloakDiscoveryCheck: Check = {
  id: 'keycloak',
  group: 'end-to-end',
  title: "Keycloak over TLS, with its realm's discovery document",
  tlsOnly: 'Keycloak is served over TLS only',
  async run(ctx) {
    const model = keycloakModel(ctx.config, { tls: true });
    if (!model) return notConfigured;
    const url = `${model.realmUrl}/.well-known/openid-configuration`;
    // Checked against the project's CA (the https check covers the system store's trust of it).
    const result = await curl(ctx, model, url, ['-w', '\n%{http_code}'], 'ca');
    if (result.exitCode !== 0) return { status: 'fail', seen: `${model.host}:${model.port}: ${curlError(result.stderr)}`, fix: 'richie-dev setup-ssl (the certificate must name the Keycloak host), then richie-dev run-ssl' };
    const body = result.stdout.slice(0, result.stdout.lastIndexOf('\n'));
    const status = result.stdout.slice(result.stdout.lastIndexOf('\n') + 1);
    let doc: Record<string, unknown> | undefined;
    try {
      doc = JSON.parse(body) as Record<string, unknown>;
    } catch {
      doc = undefined;
    }
    const fix = model.upstream ? `Create realm "${model.realm}" in your Keycloak and start it with --hostname=${model.origin} --proxy-headers=xforwarded (richie-dev render --ssl prints the client it needs)` : 'richie-dev run-ssl';
    if (status !== '200' || !doc) return { status: 'fail', seen: `${url} answered ${status}${doc ? '' : ', not a JSON discovery document'}`, fix };
    // keycloak-js builds its URLs from {url}/realms/{realm} without reading discovery: the document must agree.
    const expected = { issuer: model.realmUrl, authorization_endpoint: `${model.realmUrl}/protocol/openid-connect/auth`, token_endpoint: `${model.realmUrl}/protocol/openid-connect/token`, end_session_endpoint: `${model.realmUrl}/protocol/openid-connect/logout` };
    const wrong = Object.entries(expected).filter(([key, value]) => doc[key] !== value);
    if (wrong.length) return { status: 'fail', seen: wrong.map(([key, value]) => `${key} is ${JSON.stringify(doc[key])}, not ${value}`).join('; '), fix };
    return { status: 'pass', seen: `${model.realmUrl}: issuer and endpoints where keycloak-js looks` };
  },
};

export const keycloakCorsCheck: Check = {
  id: 'keycloak-cors',
  group: 'end-to-end',
  title: "CORS from the catalog to Keycloak's token and account endpoints",
  tlsOnly: 'Keycloak is served over TLS only',
  async run(ctx) {
    const model = keycloakModel(ctx.config, { tls: true });
    if (!model) return notConfigured;
    const origin = model.catalogOrigin;
    // The token endpoint as keycloak-js calls it (a POST with credentials; a preflight would be
    // answered for any origin, by Keycloak as by oidc-provider): a refresh with a token that is no
    // good gets an error, with CORS headers only for the client's web origins. /account: the
    // preflight its Authorization header needs.
    const calls = [
      { what: 'POST /protocol/openid-connect/token', url: `${model.realmUrl}/protocol/openid-connect/token`, args: ['-X', 'POST', '--data-urlencode', 'grant_type=refresh_token', '--data-urlencode', 'refresh_token=richie-dev-doctor', '--data-urlencode', `client_id=${model.clientId}`], credentials: true },
      { what: 'preflight of GET /account', url: `${model.realmUrl}/account`, args: ['-X', 'OPTIONS', '-H', 'Access-Control-Request-Method: GET', '-H', 'Access-Control-Request-Headers: authorization'], credentials: false },
    ];
    for (const call of calls) {
      const result = await curl(ctx, model, call.url, ['-D', '-', '-o', '/dev/null', '-H', `Origin: ${origin}`, ...call.args], 'ca');
      if (result.exitCode !== 0) return { status: 'fail', seen: `Keycloak did not answer: ${curlError(result.stderr)}`, fix: 'richie-dev run-ssl' };
      const headers = result.stdout.toLowerCase();
      const allowOrigin = /access-control-allow-origin: (.*)\r?\n/.exec(headers)?.[1]?.trim();
      const credentials = /access-control-allow-credentials: (.*)\r?\n/.exec(headers)?.[1]?.trim();
      if (allowOrigin !== origin.toLowerCase() || (call.credentials && credentials !== 'true')) {
        return {
          status: 'fail',
          seen: `${call.what} from ${origin}: allow-origin ${allowOrigin ?? '(none)'}${call.credentials ? `, allow-credentials ${credentials ?? '(none)'}` : ''}; the browser will block keycloak-js`,
          fix: model.upstream ? `Add ${origin} to the web origins of client "${model.clientId}" in realm "${model.realm}"` : 'richie-dev render --ssl, then richie-dev run-ssl',
        };
      }
    }
    return { status: 'pass', seen: `token endpoint (with credentials) and account endpoint allow ${origin}` };
  },
};

export const KEYCLOAK_CHECKS: readonly Check[] = [keycloakDiscoveryCheck, keycloakCorsCheck];
