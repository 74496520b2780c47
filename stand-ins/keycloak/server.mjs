// The Keycloak stand-in: one realm of Keycloak as keycloak-js and Richie's `keycloak` and
// `fonzie-keycloak` front-end backends use it, built on `oidc-provider` (a certified OpenID
// Connect provider), at Keycloak's URL layout:
//   /realms/<realm>/.well-known/openid-configuration
//   /realms/<realm>/protocol/openid-connect/{auth,token,logout,certs,userinfo}
//   /realms/<realm>/account   (the profile keycloak-js's loadUserProfile reads, with Bearer)
// It does what keycloak-js 26 (lib/keycloak.js) does with a Keycloak: the standard flow with
// PKCE S256 and response_mode=fragment, check-sso as a prompt=none redirect (no iframe), token
// refresh, logout with id_token_hint (no confirmation page then, as Keycloak), registration
// (kc_action=REGISTER on the auth URL shows the registration form), and CORS with credentials
// for the client's web origins. One public client (and, with fonzie-keycloak, the LMS's
// confidential one); users: the demo user and those registered since the start (in memory). Bundled by stand-ins/keycloak/build.mjs into
// templates/images/demo-keycloak/server.mjs (npm run build).
import { createHmac, generateKeyPairSync, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import { jwtVerify } from 'jose';
import Provider from 'oidc-provider';

const env = process.env;
const PORT = Number(env.PORT || 8000);
const BASE = (env.KEYCLOAK_URL || `http://localhost:${PORT}`).replace(/\/+$/, '');
const REALM = env.KEYCLOAK_REALM || 'richie';
const CLIENT_ID = env.KEYCLOAK_CLIENT_ID || 'richie';
// Keycloak's client settings "Web origins" and "Valid redirect URIs" (a trailing * is a prefix).
const WEB_ORIGINS = JSON.parse(env.KEYCLOAK_WEB_ORIGINS || '[]');
const REDIRECT_URIS = JSON.parse(env.KEYCLOAK_REDIRECT_URIS || '[]');
// With Richie's `fonzie-keycloak`: the LMS, a second client, confidential (client id and
// secret, as python-social-auth sends them in the token request's body), its redirect URIs
// exact (its /auth/complete/keycloak/).
const LMS_CLIENT = env.KEYCLOAK_LMS_CLIENT_ID && env.KEYCLOAK_LMS_CLIENT_SECRET ? { id: env.KEYCLOAK_LMS_CLIENT_ID, secret: env.KEYCLOAK_LMS_CLIENT_SECRET, redirectUris: JSON.parse(env.KEYCLOAK_LMS_REDIRECT_URIS || '[]') } : undefined;
const PREFIX = `/realms/${encodeURIComponent(REALM)}`;
const ISSUER = `${BASE}${PREFIX}`;
// The demo user (README, "Keycloak"): the demo LMS's own demo account.
const DEMO_USER = { username: env.KEYCLOAK_DEMO_USERNAME || 'student', password: env.KEYCLOAK_DEMO_PASSWORD || 'student', firstName: 'Demo', lastName: 'Student', email: 'student@example.com' };

const users = new Map([[DEMO_USER.username, { id: randomId(), ...DEMO_USER }]]);
const byId = (id) => [...users.values()].find((u) => u.id === id);

function randomId() {
  const b = randomBytes(16);
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

const allowedUri = (uri, clientId = CLIENT_ID) => (clientId === LMS_CLIENT?.id ? LMS_CLIENT.redirectUris : REDIRECT_URIS).some((pattern) => (pattern.endsWith('*') ? uri.startsWith(pattern.slice(0, -1)) : uri === pattern));

// Keycloak's claims for the default "profile" and "email" scopes (its built-in mappers).
const claimsOf = (user) => ({
  sub: user.id,
  preferred_username: user.username,
  given_name: user.firstName,
  family_name: user.lastName,
  name: [user.firstName, user.lastName].filter(Boolean).join(' '),
  email: user.email,
  email_verified: false,
});

const escape = (s) => String(s ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const page = (title, body) =>
  `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escape(title)}</title></head><body><h1 id="kc-page-title">${escape(title)}</h1>${body}</body></html>`;

const REFRESH_TTL = 1800;
const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
// Keycloak's access tokens are JWTs (keycloak-js decodes them: exp, iat, sub), for its "account"
// audience, with the user's claims.
const ACCOUNT = `${ISSUER}/account`;

const provider = new Provider(ISSUER, {
  clients: [
    {
      client_id: CLIENT_ID,
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      // Checked by the prefix rules below; oidc-provider wants one at least.
      redirect_uris: REDIRECT_URIS.length ? REDIRECT_URIS.map((u) => u.replace(/\*$/, '')) : [`${BASE}/`],
      post_logout_redirect_uris: REDIRECT_URIS.length ? REDIRECT_URIS.map((u) => u.replace(/\*$/, '')) : [`${BASE}/`],
    },
    ...(LMS_CLIENT
      ? [
          {
            client_id: LMS_CLIENT.id,
            client_secret: LMS_CLIENT.secret,
            token_endpoint_auth_method: 'client_secret_post',
            grant_types: ['authorization_code', 'refresh_token'],
            response_types: ['code'],
            redirect_uris: LMS_CLIENT.redirectUris.length ? LMS_CLIENT.redirectUris : [`${BASE}/`],
          },
        ]
      : []),
  ],
  jwks: { keys: [{ ...privateKey.export({ format: 'jwk' }), kid: randomId(), use: 'sig', alg: 'RS256' }] },
  cookies: { keys: [randomBytes(32).toString('hex')] },
  // `typ` and `jti` as Keycloak sets them in its ID tokens (its IDToken: typ "ID", a jti each):
  // Joanie accepts a Keycloak ID token by them (joanie core/authentication.py KeycloakAccessToken,
  // token type "ID" under DJANGO_JWT_TYPE_CLAIM=typ; simplejwt refuses a token without a jti).
  claims: { openid: ['sub', 'typ', 'jti'], profile: ['preferred_username', 'given_name', 'family_name', 'name'], email: ['email', 'email_verified'] },
  scopes: ['openid', 'profile', 'email', 'offline_access'],
  // Keycloak puts the user's claims in the ID token, which Richie keeps as the user's token.
  conformIdTokenClaims: false,
  // kc_action=REGISTER (keycloak-js's login({action: 'REGISTER'})) reaches the interaction.
  extraParams: ['kc_action'],
  pkce: { required: () => true },
  // Keycloak's defaults: access token 5 min, SSO session idle 30 min.
  ttl: { AccessToken: 300, AuthorizationCode: 60, IdToken: 300, RefreshToken: REFRESH_TTL, Interaction: 1800, Session: 36000, Grant: 36000 },
  // A public client gets a refresh token, as from Keycloak, without offline_access.
  issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
  features: {
    devInteractions: { enabled: false },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => ACCOUNT,
      useGrantedResource: () => true,
      getResourceServerInfo: () => ({ scope: 'profile email', audience: 'account', accessTokenTTL: 300, accessTokenFormat: 'jwt', jwt: { sign: { alg: 'RS256' } } }),
    },
    rpInitiatedLogout: {
      enabled: true,
      // With a valid id_token_hint Keycloak logs out at once; without one it asks (a form here).
      logoutSource: async (ctx, form) => {
        const hinted = Boolean(ctx.oidc.params.id_token_hint);
        ctx.body = page('Logging out', `${form}<p>Do you want to log out?</p><button id="kc-logout" type="submit" form="op.logoutForm" name="logout" value="yes">Logout</button>${hinted ? '<script>document.getElementById("op.logoutForm").insertAdjacentHTML("beforeend","<input type=hidden name=logout value=yes>");document.getElementById("op.logoutForm").submit()</script>' : ''}`);
      },
      postLogoutSuccessSource: async (ctx) => {
        ctx.body = page('You are logged out', '');
      },
    },
  },
  clientBasedCORS: (_ctx, origin) => WEB_ORIGINS.includes(origin),
  extraTokenClaims: async (_ctx, token) => {
    const user = token.accountId && byId(token.accountId);
    if (!user) return undefined;
    const { sub: _sub, ...claims } = claimsOf(user);
    return { typ: 'Bearer', azp: token.clientId, ...claims };
  },
  findAccount: async (_ctx, sub) => {
    const user = byId(sub);
    return user ? { accountId: sub, claims: async (use) => ({ ...claimsOf(user), ...(use === 'id_token' ? { typ: 'ID', jti: randomId() } : {}) }) } : undefined;
  },
  // Keycloak asks no consent of a first-party client: the grant covers what was asked.
  loadExistingGrant: async (ctx) => {
    const { client, session, params } = ctx.oidc;
    if (!session?.accountId) return undefined;
    const existing = session.grantIdFor(client.clientId);
    const grant = (existing && (await ctx.oidc.provider.Grant.find(existing))) || new ctx.oidc.provider.Grant({ clientId: client.clientId, accountId: session.accountId });
    grant.addOIDCScope(String(params.scope || 'openid'));
    grant.addResourceScope(ACCOUNT, 'profile email');
    await grant.save();
    return grant;
  },
  // Keycloak's endpoint paths under the realm (its discovery document names the same ones).
  routes: {
    authorization: '/protocol/openid-connect/auth',
    token: '/protocol/openid-connect/token',
    end_session: '/protocol/openid-connect/logout',
    jwks: '/protocol/openid-connect/certs',
    userinfo: '/protocol/openid-connect/userinfo',
    revocation: '/protocol/openid-connect/revoke',
    introspection: '/protocol/openid-connect/token/introspect',
  },
  interactions: { url: (_ctx, interaction) => `${PREFIX}/login-actions/${interaction.uid}` },
  renderError: async (ctx, out) => {
    ctx.type = 'html';
    ctx.body = page('We are sorry...', Object.entries(out).map(([k, v]) => `<p><strong>${escape(k)}</strong>: ${escape(v)}</p>`).join(''));
  },
});
provider.proxy = true; // behind richie-dev's nginx: X-Forwarded-Proto says https
// Keycloak's valid redirect URIs may end in "*".
provider.Client.prototype.redirectUriAllowed = function (uri) {
  return allowedUri(uri, this.clientId);
};
provider.Client.prototype.postLogoutRedirectUriAllowed = function (uri) {
  return allowedUri(uri, this.clientId);
};
// Keycloak's refresh tokens are JWTs too (HS512), and keycloak-js decodes them (decodeToken,
// which throws on anything else): the stand-in's refresh token handle takes that shape, its
// claims those of Keycloak's. The whole string is still only a key to the stored token.
const REFRESH_KEY = randomBytes(64);
const b64 = (value) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
provider.RefreshToken.prototype.generateTokenId = function () {
  const iat = Math.floor(Date.now() / 1000);
  const head = `${b64({ alg: 'HS512', typ: 'JWT' })}.${b64({ exp: iat + REFRESH_TTL, iat, jti: randomId(), iss: ISSUER, aud: ISSUER, sub: this.accountId, typ: 'Refresh', azp: this.clientId, scope: this.scope })}`;
  return `${head}.${createHmac('sha512', REFRESH_KEY).update(head).digest('base64url')}`;
};
// keycloak-js sends its token requests with credentials: 'include', as Keycloak allows.
provider.use(async (ctx, next) => {
  await next();
  if (WEB_ORIGINS.includes(ctx.get('Origin')) && ctx.response.get('Access-Control-Allow-Origin')) ctx.set('Access-Control-Allow-Credentials', 'true');
});
const oidc = provider.callback();

// ---- the login and registration pages (Keycloak's login-actions) ----------------------------
async function readForm(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

function html(res, status, body) {
  res.writeHead(status, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' });
  res.end(body);
}

function loginForm(uid, { register, error = '' }) {
  const action = `${PREFIX}/login-actions/${uid}/${register ? 'registration' : 'authenticate'}`;
  const fields = register
    ? '<label>First name <input id="firstName" name="firstName"></label> <label>Last name <input id="lastName" name="lastName"></label> <label>Email <input id="email" name="email" type="email"></label> '
    : '';
  return page(
    register ? 'Register' : `Sign in to ${REALM}`,
    `${error ? `<p id="input-error">${escape(error)}</p>` : ''}<form id="${register ? 'kc-register-form' : 'kc-form-login'}" method="post" action="${action}">${fields}<label>Username <input id="username" name="username"></label> <label>Password <input id="password" name="password" type="password"></label> <button id="kc-login" type="submit">${register ? 'Register' : 'Sign In'}</button></form>` +
      (register ? `<p><a id="kc-login-link" href="${PREFIX}/login-actions/${uid}">Back to Login</a></p>` : `<p><a id="kc-registration-link" href="${PREFIX}/login-actions/${uid}?register">Register</a></p><p>Demo account: ${escape(DEMO_USER.username)} / ${escape(DEMO_USER.password)}</p>`),
  );
}

async function loginActions(req, res, rest) {
  const [uid, step] = rest.split('?')[0].split('/');
  let details;
  try {
    details = await provider.interactionDetails(req, res);
  } catch {
    return html(res, 400, page('We are sorry...', '<p>Your login attempt timed out. Login will start from the beginning.</p>'));
  }
  if (details.uid !== uid) return html(res, 400, page('We are sorry...', '<p>Invalid login session.</p>'));
  const register = step === 'registration' || (step === undefined && (new URL(req.url, 'http://x').searchParams.has('register') || details.params.kc_action === 'REGISTER'));
  if (req.method === 'GET') return html(res, 200, loginForm(uid, { register }));
  if (req.method !== 'POST') return html(res, 405, page('Method not allowed', ''));
  const form = await readForm(req);
  const username = (form.get('username') || '').trim();
  const password = form.get('password') || '';
  let user;
  if (step === 'registration') {
    if (!/^[\w.@+-]{2,60}$/.test(username) || !password) return html(res, 400, loginForm(uid, { register: true, error: 'Please specify a username and a password.' }));
    if (users.has(username)) return html(res, 400, loginForm(uid, { register: true, error: 'Username already exists.' }));
    user = { id: randomId(), username, password, firstName: form.get('firstName') || '', lastName: form.get('lastName') || '', email: form.get('email') || '' };
    users.set(username, user);
  } else {
    user = users.get(username);
    if (!user || user.password !== password) return html(res, 401, loginForm(uid, { register: false, error: 'Invalid username or password.' }));
  }
  return provider.interactionFinished(req, res, { login: { accountId: user.id } }, { mergeWithLastSubmission: false });
}

// ---- the account endpoint keycloak-js's loadUserProfile reads ---------------------------------
function cors(req, res) {
  const origin = req.headers.origin;
  if (!origin || !WEB_ORIGINS.includes(origin)) return false;
  res.setHeader('Access-Control-Allow-Origin', origin);
  res.setHeader('Access-Control-Allow-Credentials', 'true');
  res.setHeader('Vary', 'Origin');
  return true;
}

async function account(req, res) {
  const allowed = cors(req, res);
  if (req.method === 'OPTIONS') {
    if (allowed) {
      res.setHeader('Access-Control-Allow-Methods', 'GET, OPTIONS');
      res.setHeader('Access-Control-Allow-Headers', req.headers['access-control-request-headers'] || 'Authorization');
      res.setHeader('Access-Control-Max-Age', '3600');
    }
    res.writeHead(allowed ? 200 : 403);
    return res.end();
  }
  const json = (status, body) => {
    res.writeHead(status, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  const [scheme, value] = (req.headers.authorization || '').split(' ');
  if (!/^bearer$/i.test(scheme || '') || !value) return json(401, { error: 'HTTP 401 Unauthorized' });
  const payload = await jwtVerify(value, publicKey, { issuer: ISSUER, audience: 'account' }).then((r) => r.payload, () => undefined);
  const user = payload && byId(payload.sub);
  if (!user) return json(401, { error: 'HTTP 401 Unauthorized' });
  // Keycloak's account REST representation (UserRepresentation's profile fields).
  return json(200, { id: user.id, username: user.username, firstName: user.firstName, lastName: user.lastName, email: user.email, emailVerified: false, attributes: {} });
}

const server = createServer((req, res) => {
  const path = req.url.split('?')[0];
  if (path === '/health') return html(res, 200, 'ok');
  if (path === '/' || path === '/realms' || path === '/realms/') return html(res, 200, page('Welcome to Keycloak (richie-dev stand-in)', `<p>Realm: <a href="${PREFIX}/.well-known/openid-configuration">${escape(REALM)}</a></p>`));
  if (!path.startsWith(`${PREFIX}/`)) return html(res, 404, page('Page not found', ''));
  const rest = req.url.slice(PREFIX.length + 1);
  if (path === `${PREFIX}/account` || path === `${PREFIX}/account/`) return account(req, res).catch((error) => fail(res, error));
  if (rest.startsWith('login-actions/')) return loginActions(req, res, rest.slice('login-actions/'.length)).catch((error) => fail(res, error));
  // The provider's own routes, mounted under the realm's path (as express or koa-mount would).
  req.url = req.url.slice(PREFIX.length);
  if (path === `${PREFIX}/protocol/openid-connect/auth`) req.url = withDefaultScopes(req.url);
  req.originalUrl = `${PREFIX}${req.url}`;
  return oidc(req, res);
});

/** Keycloak's default client scopes (profile, email) apply whatever the request asks (keycloak-js asks "openid"). */
function withDefaultScopes(url) {
  const parsed = new URL(url, 'http://x');
  const scopes = new Set((parsed.searchParams.get('scope') || 'openid').split(' ').filter(Boolean));
  for (const scope of ['profile', 'email']) scopes.add(scope);
  parsed.searchParams.set('scope', [...scopes].join(' '));
  return `${parsed.pathname}${parsed.search}`;
}

function fail(res, error) {
  console.error(error);
  if (!res.headersSent) html(res, 500, page('Internal error', ''));
  else res.end();
}

server.listen(PORT, () => console.log(`Keycloak stand-in: realm ${REALM} at ${ISSUER}, client ${CLIENT_ID}${LMS_CLIENT ? ` and ${LMS_CLIENT.id} (the LMS)` : ''}, web origins ${WEB_ORIGINS.join(' ') || '(none)'}`));
for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => server.close(() => process.exit(0)));
