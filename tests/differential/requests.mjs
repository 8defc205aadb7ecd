// Differential test of request authentication: a generated corpus of requests through
// @clerk/backend's authenticateRequest (the reference) and through
// `clerk authenticate --jsonl`. State, reason, token type, redirect location, the set of
// response headers (names and values; `x-clerk-auth-message` by presence, as the
// messages' wording differs) and `has(...)` results must agree on every case, except
// the documented deviations, where our documented behaviour is asserted instead.
//
// usage: node requests.mjs PATH_TO_CLERK_BINARY
import { spawn } from 'node:child_process';
import http from 'node:http';
import crypto from 'node:crypto';
import { createAuthenticateRequest } from '@clerk/backend/internal';

const clerkBinary = process.argv[2];
if (!clerkBinary) {
  console.error('usage: node requests.mjs PATH_TO_CLERK_BINARY');
  process.exit(2);
}

// ---- keys and tokens (fresh keys every run) ----
const keyA = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
const keyB = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
const PEM_A = keyA.publicKey.export({ type: 'spki', format: 'pem' });
const b64 = (data) => Buffer.from(data).toString('base64url');
const N = 1_700_000_000;
const FAPI = 'clerk.example.test';
const ISS = `https://${FAPI}`;
const pk = (prefix, fapi = FAPI) => `${prefix}${Buffer.from(`${fapi}$`).toString('base64').replace(/=+$/, '')}`;
const PK_DEV = pk('pk_test_');
const PK_PROD = pk('pk_live_');
const SK_DEV = 'sk_test_differential';
const SK_PROD = 'sk_live_differential';

function jwt({ header = {}, claims = {}, pair = keyA } = {}) {
  const h = { alg: 'RS256', typ: 'JWT', kid: 'ins_key_1', cat: 'cl_B7d4PD111AAA', ...header };
  const c = {
    sub: 'user_1', sid: 'sess_1', iss: ISS, azp: 'https://app.example.test',
    iat: N - 10, nbf: N - 10, exp: N + 60, v: 2, sts: 'active', fva: [1, -1], ...claims,
  };
  for (const k of Object.keys(h)) if (h[k] === undefined) delete h[k];
  for (const k of Object.keys(c)) if (c[k] === undefined) delete c[k];
  const input = `${b64(JSON.stringify(h))}.${b64(JSON.stringify(c))}`;
  return `${input}.${crypto.sign('sha256', Buffer.from(input), pair.privateKey).toString('base64url')}`;
}
async function suffixOf(key) {
  const digest = crypto.createHash('sha1').update(key).digest('base64url');
  return digest.slice(0, 8);
}
const SUFFIX_DEV = await suffixOf(PK_DEV);
const SUFFIX_PROD = await suffixOf(PK_PROD);

const T = {
  valid: jwt(),
  expired: jwt({ claims: { exp: N - 100 } }),
  nbf: jwt({ claims: { nbf: N + 100 } }),
  iatFuture: jwt({ claims: { iat: N + 100, nbf: undefined } }),
  badSig: jwt({ pair: keyB }),
  malformed: 'not.a-jwt',
  m2mCategory: jwt({ header: { cat: 'cl_B7d4PD333AAA' } }),
  m2mJwt: jwt({ claims: { sub: 'mch_1' } }),
  oauthJwt: jwt({ header: { typ: 'at+jwt' }, claims: { sub: 'user_1', client_id: 'oa_1' } }),
  otherInstance: jwt({ claims: { iss: 'https://clerk.other.test' } }),
  noIss: jwt({ claims: { iss: undefined } }),
  pending: jwt({ claims: { sts: 'pending' } }),
  orgAcme: jwt({ claims: { o: { id: 'org_1', slg: 'acme', rol: 'admin', per: 'read,manage', fpm: '3' }, fea: 'o:billing' } }),
};

// ---- a loopback Backend API for opaque machine tokens ----
const MSK = 'ak_machine_secret';
const server = await new Promise((resolve) => {
  const s = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      if (process.env.DEBUG_API) console.error('api', req.method, req.url, req.headers.authorization, body);
      // The reference posts below the API root, we below /v1 (a documented deviation of
      // the token verification): both paths answer alike.
      const url = req.url.replace(/^\/v1\//, '/');
      const auth = req.headers.authorization || '';
      const parsed = body ? JSON.parse(body) : {};
      const token = parsed.secret || parsed.token || parsed.access_token || '';
      const reply = (status, json) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(json));
      };
      const notFound = () => reply(404, { errors: [{ code: 'resource_not_found', message: 'not found' }] });
      if (![`Bearer ${SK_DEV}`, `Bearer ${SK_PROD}`, `Bearer ${MSK}`].includes(auth)) {
        return reply(401, { errors: [{ code: 'authentication_invalid', message: 'Invalid key' }] });
      }
      if (url === '/m2m_tokens/verify' && auth !== `Bearer ${MSK}` && token.includes('needs_machine_key')) {
        return reply(401, { errors: [{ code: 'authentication_invalid', message: 'Machine secret key required' }] });
      }
      if (token.includes('missing')) return notFound();
      if (token.includes('broken')) return reply(500, { errors: [{ code: 'unexpected_error', message: 'boom' }] });
      const base = { id: 'id_1', subject: 'user_1', scopes: ['read'], claims: { a: 1 }, revoked: false, expired: false, expiration: null, created_at: 1, updated_at: 1 };
      if (url === '/api_keys/verify' && token.startsWith('ak_')) return reply(200, { object: 'api_key', type: 'api_key', name: 'k', ...base });
      if (url === '/m2m_tokens/verify' && token.startsWith('mt_')) return reply(200, { object: 'machine_to_machine_token', ...base, subject: 'mch_1' });
      if (url === '/oauth_applications/access_tokens/verify' && token.startsWith('oat_')) return reply(200, { object: 'clerk_idp_oauth_access_token', client_id: 'oa_1', ...base });
      notFound();
    });
  });
  s.listen(0, '127.0.0.1', () => resolve(s));
});
const API_URL = `http://127.0.0.1:${server.address().port}`;
// No API client, as a host calling authenticateRequest without one: no token refresh, no
// handshake-nonce exchange.
const { authenticateRequest } = createAuthenticateRequest({ options: { apiUrl: API_URL } });

// ---- the corpus ----
// A case: name, method, url, headers, options (snake_case, ours), has?, deviation?
const cases = [];
const add = (name, c) => cases.push({ name, method: 'GET', url: 'https://app.example.test/dash?x=1', headers: {}, ...c });
const DOC = { 'sec-fetch-dest': 'document', accept: 'text/html' };
const FETCH = { 'sec-fetch-dest': 'empty', accept: 'application/json' };
const base = (instance, extra = {}) => ({
  secret_key: instance === 'dev' ? SK_DEV : SK_PROD,
  publishable_key: instance === 'dev' ? PK_DEV : PK_PROD,
  jwt_key: PEM_A,
  ...extra,
});
const cookie = (pairs) => Object.entries(pairs).filter(([, v]) => v !== undefined).map(([k, v]) => `${k}=${v}`).join('; ');

// 1. Header flow.
for (const instance of ['dev', 'prod']) {
  for (const [label, tok] of Object.entries(T)) {
    for (const [kind, method, headers] of [['doc', 'GET', DOC], ['fetch', 'GET', FETCH], ['post', 'POST', DOC]]) {
      add(`header ${instance} ${label} ${kind}`, { method, headers: { ...headers, authorization: `Bearer ${tok}` }, options: base(instance) });
    }
  }
  add(`header ${instance} azp mismatch`, { headers: { authorization: `Bearer ${T.valid}` }, options: base(instance, { authorized_parties: ['https://other.test'] }) });
  add(`header ${instance} azp ok`, { headers: { authorization: `Bearer ${T.valid}` }, options: base(instance, { authorized_parties: ['https://app.example.test'] }) });
  add(`header ${instance} bare token`, { headers: { authorization: T.valid }, options: base(instance) });
  add(`header ${instance} basic scheme`, { headers: { ...DOC, authorization: `Basic abc`, cookie: cookie({ __session: T.valid, __client_uat: N - 100, __clerk_db_jwt: 'dvb_1' }) }, options: base(instance) });
  add(`header ${instance} audience mismatch`, { headers: { authorization: `Bearer ${jwt({ claims: { aud: 'web' } })}` }, options: base(instance, { audience: 'api' }) });
  add(`header ${instance} skew 0 expired by 1s`, { headers: { authorization: `Bearer ${jwt({ claims: { exp: N - 1 } })}` }, options: base(instance, { clock_skew_ms: 0 }) });
  add(`header ${instance} skew 10s`, { headers: { authorization: `Bearer ${jwt({ claims: { exp: N - 8 } })}` }, options: base(instance, { clock_skew_ms: 10000 }) });
}

// 2. Cookie flow: session x client_uat x suffixing x instance x request kind.
const sessions = { none: undefined, valid: T.valid, expired: T.expired, nbf: T.nbf, badSig: T.badSig, malformed: T.malformed, m2mJwt: T.m2mJwt, m2mCategory: T.m2mCategory, otherInstance: T.otherInstance, noIss: T.noIss };
const uats = { none: undefined, zero: '0', past: String(N - 100), future: String(N + 100), garbage: 'abc' };
for (const instance of ['dev', 'prod']) {
  const suffix = instance === 'dev' ? SUFFIX_DEV : SUFFIX_PROD;
  for (const [sLabel, session] of Object.entries(sessions)) {
    for (const [uLabel, uat] of Object.entries(uats)) {
      for (const naming of ['plain', 'suffixed', 'both']) {
        for (const [kind, method, headers] of [['doc', 'GET', DOC], ['fetch', 'GET', FETCH], ['post', 'POST', DOC]]) {
          const jar = { __clerk_db_jwt: instance === 'dev' ? 'dvb_1' : undefined };
          if (naming !== 'suffixed') Object.assign(jar, { __session: session, __client_uat: uat });
          if (naming !== 'plain') Object.assign(jar, { [`__session_${suffix}`]: session, [`__client_uat_${suffix}`]: uat });
          if (naming === 'both') jar.__session = T.otherInstance;
          add(`cookie ${instance} session=${sLabel} uat=${uLabel} ${naming} ${kind}`, { method, headers: { ...headers, cookie: cookie(jar) }, options: base(instance) });
        }
      }
    }
  }
  // redirect-loop guard and refresh cookie
  for (const count of ['0', '2', '3', 'x']) {
    add(`cookie ${instance} expired, redirect count ${count}`, { headers: { ...DOC, cookie: cookie({ __session: T.expired, __client_uat: N - 100, __clerk_db_jwt: 'dvb_1', __clerk_redirect_count: count }) }, options: base(instance) });
  }
  add(`cookie ${instance} expired with refresh cookie`, { headers: { ...DOC, cookie: cookie({ [`__session_${suffix}`]: T.expired, [`__client_uat_${suffix}`]: N - 100, [`__refresh_${suffix}`]: 'r', __clerk_db_jwt: 'dvb_1' }) }, options: base(instance) });
  add(`cookie ${instance} expired with refresh cookie post`, { method: 'POST', headers: { ...DOC, cookie: cookie({ [`__session_${suffix}`]: T.expired, [`__client_uat_${suffix}`]: N - 100, [`__refresh_${suffix}`]: 'r', __clerk_db_jwt: 'dvb_1' }) }, options: base(instance) });
  // forwarded origin
  add(`cookie ${instance} forwarded host`, { url: 'http://10.0.0.5:3000/p?q=1', headers: { ...DOC, 'x-forwarded-host': 'app.example.test', 'x-forwarded-proto': 'https', cookie: cookie({ __client_uat: N - 100, __clerk_db_jwt: 'dvb_1' }) }, options: base(instance) });
  add(`cookie ${instance} host header`, { url: 'http://localhost:3000/p', headers: { ...DOC, host: 'app.example.test:8443', cookie: cookie({ __client_uat: N - 100 }) }, options: base(instance) });
  // cross-origin referrers
  for (const [rLabel, referer] of [['other', 'https://satellite.test/x'], ['same', 'https://app.example.test/y'], ['fapi', `https://${FAPI}/z`], ['accounts', 'https://accounts.example.test/'], ['dev portal', 'https://foo-bar-13.accounts.dev/'], ['garbage', 'not a url']]) {
    add(`cookie ${instance} referer ${rLabel}`, { headers: { ...DOC, referer, cookie: cookie({ __session: T.valid, __client_uat: N - 100, __clerk_db_jwt: 'dvb_1' }) }, options: base(instance) });
    add(`cookie ${instance} referer ${rLabel} count 1`, { headers: { ...DOC, referer, cookie: cookie({ __session: T.valid, __client_uat: N - 100, __clerk_db_jwt: 'dvb_1', __clerk_redirect_count: '1' }) }, options: base(instance) });
  }
}

// 3. Development instances: dev-browser token, sync, primary responding to a satellite.
add('dev no dev browser doc', { headers: { ...DOC, cookie: cookie({ __session: T.valid, __client_uat: N - 100 }) }, options: base('dev') });
add('dev no dev browser fetch', { headers: { ...FETCH, cookie: cookie({ __session: T.valid, __client_uat: N - 100 }) }, options: base('dev') });
add('dev dev browser in query', { url: 'https://app.example.test/p?__clerk_db_jwt=dvb_q&a=b', headers: { ...DOC, cookie: cookie({ __session: T.valid, __client_uat: N - 100 }) }, options: base('dev') });
add('dev suffixed dev browser', { headers: { ...DOC, cookie: cookie({ [`__session_${SUFFIX_DEV}`]: T.valid, [`__client_uat_${SUFFIX_DEV}`]: N - 100, [`__clerk_db_jwt_${SUFFIX_DEV}`]: 'dvb_s' }) }, options: base('dev') });
add('dev legacy dev session param', { url: 'https://app.example.test/p?__dev_session=old&__clerk_db_jwt=x', headers: { ...DOC }, options: base('dev') });
add('dev primary responds to syncing', { url: `https://app.example.test/sign-in?__clerk_redirect_url=${encodeURIComponent('https://sat.test/back?x=1')}`, headers: { ...DOC, cookie: cookie({ __clerk_db_jwt: 'dvb_1' }) }, options: base('dev') });
add('dev primary responds, no dev browser', { url: `https://app.example.test/sign-in?__clerk_redirect_url=${encodeURIComponent('https://sat.test/back')}`, headers: { ...DOC }, options: base('dev') });
add('dev primary responds fetch', { url: `https://app.example.test/sign-in?__clerk_redirect_url=${encodeURIComponent('https://sat.test/back')}`, headers: { ...FETCH }, options: base('dev') });
add('dev primary responds bad url', { url: 'https://app.example.test/sign-in?__clerk_redirect_url=nope', headers: { ...DOC }, options: base('dev') });
add('prod ignores redirect url', { url: `https://app.example.test/sign-in?__clerk_redirect_url=${encodeURIComponent('https://sat.test/back')}`, headers: { ...DOC }, options: base('prod') });

// 4. Satellites and proxies.
for (const instance of ['dev', 'prod']) {
  for (const [cLabel, jar] of [['no cookies', {}], ['cookies', { __session: T.valid, __client_uat: N - 100 }], ['uat only', { __client_uat: N - 100 }]]) {
    if (instance === 'dev') jar.__clerk_db_jwt = 'dvb_1';
    for (const synced of [null, 'false', 'true']) {
      for (const autoSync of [undefined, true, false]) {
        for (const [kind, method, headers] of [['doc', 'GET', DOC], ['fetch', 'GET', FETCH]]) {
          const url = `https://sat.test/page${synced ? `?__clerk_synced=${synced}` : ''}`;
          add(`satellite ${instance} ${cLabel} synced=${synced} auto=${autoSync} ${kind}`, {
            url, method, headers: { ...headers, cookie: cookie(jar) },
            options: base(instance, { is_satellite: true, domain: 'sat.test', sign_in_url: 'https://app.example.test/sign-in', satellite_auto_sync: autoSync }),
          });
        }
      }
    }
  }
  add(`satellite ${instance} proxy`, { url: 'https://sat.test/p', headers: { ...DOC, cookie: cookie({ __client_uat: N - 100, __clerk_db_jwt: 'dvb_1' }) }, options: base(instance, { is_satellite: true, proxy_url: 'https://sat.test/__clerk', sign_in_url: 'https://app.example.test/sign-in' }) });
  add(`satellite ${instance} no domain nor proxy`, { headers: { ...DOC }, options: base(instance, { is_satellite: true, sign_in_url: 'https://app.example.test/sign-in' }) });
  add(`satellite ${instance} no sign-in url`, { url: 'https://sat.test/p', headers: { ...DOC, cookie: cookie({ __client_uat: N - 100, __clerk_db_jwt: 'dvb_1' }) }, options: base(instance, { is_satellite: true, domain: 'sat.test' }) });
  add(`satellite ${instance} sign-in same origin`, { url: 'https://sat.test/p', headers: { ...DOC, origin: 'https://sat.test' }, options: base(instance, { is_satellite: true, domain: 'sat.test', sign_in_url: 'https://sat.test/sign-in' }) });
  add(`satellite ${instance} sign-in relative`, { url: 'https://sat.test/p', headers: { ...DOC, origin: 'https://sat.test' }, options: base(instance, { is_satellite: true, domain: 'sat.test', sign_in_url: '/sign-in' }) });
  for (const proxy of ['/__clerk', '/__clerk/', 'https://proxy.example.test/clerk', 'https://proxy.example.test']) {
    add(`proxy ${instance} ${proxy}`, { headers: { ...DOC, cookie: cookie({ __client_uat: N - 100, __clerk_db_jwt: 'dvb_1' }) }, options: base(instance, { proxy_url: proxy }) });
  }
  add(`domain without satellite ${instance}`, { headers: { ...DOC, cookie: cookie({ __client_uat: N - 100, __clerk_db_jwt: 'dvb_1' }) }, options: base(instance, { domain: 'sat.test' }) });
}

// 5. Handshake tokens (query or cookie).
const hs = (directives, opts = {}) => jwt({ claims: { handshake: directives, sub: undefined, sid: undefined, exp: N - 1000 }, ...opts });
for (const instance of ['dev', 'prod']) {
  const handshakes = {
    'valid with session': hs([`__session=${T.valid}; Path=/`, `__client_uat=${N}; Path=/`]),
    'valid suffixed session': hs([`__session_${instance === 'dev' ? SUFFIX_DEV : SUFFIX_PROD}=${T.valid}; Path=/`, '__client_uat=1']),
    'valid without session': hs(['__client_uat=0; Path=/']),
    'valid with expired session': hs([`__session=${T.expired}; Path=/`]),
    'valid with bad session': hs([`__session=${T.badSig}; Path=/`]),
    'empty handshake': hs([]),
    'bad signature': hs([`__session=${T.valid}`], { pair: keyB }),
    'wrong typ': hs([`__session=${T.valid}`], { header: { typ: 'at+jwt' } }),
    'alg none': hs([`__session=${T.valid}`], { header: { alg: 'none' } }),
    'm2m category': hs([`__session=${T.valid}`], { header: { cat: 'cl_B7d4PD333AAA' } }),
    malformed: 'abc.def',
  };
  for (const [label, token] of Object.entries(handshakes)) {
    add(`handshake ${instance} ${label} (query)`, { url: `https://app.example.test/p?a=1&__clerk_handshake=${token}&__clerk_help=1`, headers: { ...DOC, cookie: cookie({ __clerk_db_jwt: 'dvb_1', __client_uat: N - 100 }) }, options: base(instance) });
    add(`handshake ${instance} ${label} (cookie)`, { url: 'https://app.example.test/p', headers: { ...FETCH, cookie: cookie({ __clerk_handshake: token, __clerk_db_jwt: 'dvb_1' }) }, options: base(instance) });
  }
  add(`handshake ${instance} nonce`, { url: 'https://app.example.test/p?__clerk_handshake_nonce=n1', headers: { ...DOC, cookie: cookie({ __clerk_db_jwt: 'dvb_1' }) }, options: base(instance) });
}

// 6. Organization sync.
const orgSync = { organization_patterns: ['/orgs/:slug', '/orgs/:slug/(.*)', '/o/:id'], personal_account_patterns: ['/me', '/me/(.*)'] };
for (const [path, label] of [['/orgs/acme', 'same slug'], ['/orgs/other/settings', 'other slug'], ['/o/org_1', 'same id'], ['/o/org_2', 'other id'], ['/me', 'personal'], ['/elsewhere', 'no match'], ['/ORGS/other/', 'case and slash']]) {
  for (const [tLabel, tok] of [['org session', T.orgAcme], ['personal session', T.valid], ['pending', T.pending]]) {
    for (const count of ['0', '3']) {
      add(`org sync ${label} ${tLabel} count ${count}`, { url: `https://app.example.test${path}`, headers: { ...DOC, cookie: cookie({ __session: tok, __client_uat: N - 100, __clerk_redirect_count: count }) }, options: base('prod', { organization_sync_options: orgSync }) });
    }
  }
}
add('org sync invalid pattern', { headers: { ...DOC }, options: base('prod', { organization_sync_options: { organization_patterns: ['/orgs/:'] } }) });

// 7. Machine tokens x accepts_token.
const machineTokens = {
  'api key': 'ak_valid', 'api key missing': 'ak_missing', 'api key broken': 'ak_broken',
  'm2m opaque': 'mt_valid', 'm2m opaque missing': 'mt_missing', 'm2m needs machine key': 'mt_needs_machine_key',
  'oauth opaque': 'oat_valid', 'oauth missing': 'oat_missing',
  'm2m jwt': T.m2mJwt, 'oauth jwt': T.oauthJwt, session: T.valid, 'expired session': T.expired, garbage: 'garbage',
};
const accepts = ['session_token', 'api_key', 'm2m_token', 'oauth_token', 'any', ['api_key', 'm2m_token'], ['session_token', 'api_key'], ['oauth_token']];
for (const accept of accepts) {
  for (const [label, tok] of Object.entries(machineTokens)) {
    add(`machine ${label} accepts ${JSON.stringify(accept)}`, { headers: { ...FETCH, authorization: `Bearer ${tok}` }, options: base('prod', { accepts_token: accept }) });
  }
  add(`machine no token accepts ${JSON.stringify(accept)}`, { headers: { ...FETCH }, options: base('prod', { accepts_token: accept }) });
}
add('machine secret key for m2m', { headers: { authorization: 'Bearer mt_needs_machine_key' }, options: base('prod', { accepts_token: 'm2m_token', machine_secret_key: MSK }) });
add('m2m only without publishable key', { headers: { authorization: 'Bearer mt_valid' }, options: { secret_key: SK_PROD, jwt_key: PEM_A, accepts_token: 'm2m_token' } });
add('m2m only with machine key only', { headers: { authorization: 'Bearer mt_needs_machine_key' }, options: { machine_secret_key: MSK, jwt_key: PEM_A, accepts_token: 'm2m_token' } });
add('m2m only without any key', { headers: { authorization: 'Bearer mt_valid' }, options: { jwt_key: PEM_A, accepts_token: 'm2m_token' } });

// 8. Configuration the reference refuses.
add('no publishable key', { headers: { ...DOC }, options: { secret_key: SK_PROD, jwt_key: PEM_A } });
add('invalid publishable key', { headers: { ...DOC }, options: { secret_key: SK_PROD, jwt_key: PEM_A, publishable_key: 'pk_live_bm9wZQ' } });
add('no secret key', { headers: { ...DOC }, options: { publishable_key: PK_PROD, jwt_key: PEM_A } });

// 9. has(...) on signed-in sessions.
const checks = [
  { role: 'org:admin' }, { role: 'admin' }, { role: 'org:member' }, { permission: 'org:read' }, { permission: 'read' }, { permission: 'org:write' },
  { feature: 'billing' }, { feature: 'o:billing' }, { feature: 'u:billing' }, { feature: 'team:billing' }, { plan: 'pro' }, { plan: 'u:pro' },
  { reverification: 'strict' }, { reverification: 'strict_mfa' }, { reverification: 'lax' }, { reverification: 'bogus' },
  { reverification: { level: 'first_factor', after_minutes: 5 } }, { reverification: { level: 'multi_factor', after_minutes: 5 } },
  { role: 'org:admin', feature: 'billing' }, { role: 'org:admin', plan: 'pro' }, {},
];
const hasTokens = {
  org: T.orgAcme,
  'user plans': jwt({ claims: { pla: 'u:pro,o:team', fea: 'u:export', fva: [3, 2] } }),
  'no fva': jwt({ claims: { fva: undefined } }),
  'bad fea': jwt({ claims: { fea: 'o:a,broken' } }),
  'v1 org': jwt({ claims: { v: undefined, org_id: 'org_v1', org_role: 'org:admin', org_slug: 's', org_permissions: ['org:read'] } }),
  pending: jwt({ claims: { sts: 'pending', o: { id: 'org_1', rol: 'admin' } } }),
};
for (const [label, tok] of Object.entries(hasTokens)) {
  for (const pending of [undefined, false]) {
    add(`has ${label} treatPending=${pending}`, { headers: { authorization: `Bearer ${tok}` }, options: base('prod'), has: checks, treat_pending_as_signed_out: pending });
  }
}

// ---- the reference ----
const camel = (options) => {
  const out = {};
  for (const [key, value] of Object.entries(options)) {
    if (value === undefined) continue;
    const name = key.replace(/_([a-z])/g, (_, c) => c.toUpperCase());
    if (key === 'organization_sync_options') {
      out.organizationSyncOptions = { organizationPatterns: value.organization_patterns, personalAccountPatterns: value.personal_account_patterns };
    } else if (key === 'clock_skew_ms') {
      out.clockSkewInMs = value;
    } else {
      out[name] = value;
    }
  }
  return out;
};

function headerSet(headers) {
  const out = {};
  for (const [name, value] of headers.entries()) if (name !== 'set-cookie') out[name] = value;
  const cookies = headers.getSetCookie();
  if (cookies.length) out['set-cookie'] = cookies;
  return out;
}

async function reference(c) {
  const realNow = Date.now;
  const quiet = { error: console.error, log: console.log, warn: console.warn, info: console.info };
  Date.now = () => N * 1000;
  console.error = console.log = console.warn = console.info = () => {};
  try {
    const request = new Request(c.url, { method: c.method, headers: c.headers });
    const state = await authenticateRequest(request, camel(c.options));
    const out = { state: state.status, reason: state.reason ?? undefined, message: state.message || undefined, token_type: state.tokenType ?? undefined, headers: headerSet(state.headers) };
    if (c.has) {
      const auth = state.toAuth(c.treat_pending_as_signed_out === undefined ? undefined : { treatPendingAsSignedOut: c.treat_pending_as_signed_out });
      const refCheck = (check) => (check.reverification?.after_minutes !== undefined
        ? { ...check, reverification: { level: check.reverification.level, afterMinutes: check.reverification.after_minutes } }
        : check);
      out.has = c.has.map((check) => !!auth?.has?.(refCheck(check)));
    }
    return out;
  } catch (error) {
    return { state: 'error', message: String(error?.message ?? error) };
  } finally {
    Date.now = realNow;
    Object.assign(console, quiet);
  }
}

// ---- ours ----
function ours(caseList) {
  const input = caseList.map((c) => JSON.stringify({
    method: c.method, url: c.url, headers: c.headers, options: c.options, now: N * 1000,
    ...(c.has ? { has: c.has } : {}),
    ...(c.treat_pending_as_signed_out !== undefined ? { treat_pending_as_signed_out: c.treat_pending_as_signed_out } : {}),
  })).join('\n') + '\n';
  const env = { ...process.env, CLERK_API_URL: API_URL };
  delete env.CLERK_SECRET_KEY;
  delete env.CLERK_JWT_KEY;
  return new Promise((resolve, reject) => {
    const child = spawn(clerkBinary, ['authenticate', '--jsonl'], { env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`clerk authenticate --jsonl exited ${code}: ${stderr}`));
      const lines = stdout.trim().split('\n').map((line) => JSON.parse(line));
      if (lines.length !== caseList.length) return reject(new Error(`expected ${caseList.length} lines, got ${lines.length}`));
      resolve(lines);
    });
    child.stdin.end(input);
  });
}

// ---- documented deviations: what we answer instead ----
// (none asserted by name yet; `deviation: {state, reason}` on a case marks one)

const refs = [];
for (const c of cases) refs.push(await reference(c));
const our = await ours(cases);
server.close();

const comparable = (r) => {
  const headers = {};
  for (const name of Object.keys(r.headers || {}).sort()) if (name !== 'x-clerk-auth-message') headers[name] = r.headers[name];
  const hasMessage = 'x-clerk-auth-message' in (r.headers || {});
  return JSON.stringify({
    state: r.state,
    reason: r.state === 'error' ? undefined : r.reason || undefined,
    token_type: r.state === 'error' ? undefined : r.token_type,
    headers: r.state === 'error' ? undefined : headers,
    message: r.state === 'error' ? undefined : hasMessage,
    has: r.has,
  });
};

let passed = 0;
let failed = 0;
cases.forEach((c, i) => {
  const ref = refs[i];
  const mine = our[i];
  let problem = null;
  if (c.deviation) {
    if (mine.state !== c.deviation.state || (c.deviation.reason && mine.reason !== c.deviation.reason)) {
      problem = `deviation expected ${JSON.stringify(c.deviation)}, ours ${JSON.stringify(mine)}`;
    } else if (comparable(ref) === comparable(mine)) {
      problem = 'marked as a deviation but the reference agrees';
    }
  } else if (comparable(ref) !== comparable(mine)) {
    problem = `\n  reference ${comparable(ref)}\n  ours      ${comparable(mine)}${mine.message ? `\n  our message: ${mine.message}` : ''}${ref.message ? `\n  ref message: ${ref.message}` : ''}`;
  }
  if (problem) {
    failed += 1;
    console.log(`FAIL ${c.name}: ${problem}`);
  } else {
    passed += 1;
    if (process.env.VERBOSE) console.log(`ok   ${c.name}: ${mine.state} ${mine.reason ?? ''}`);
  }
});
const byState = {};
for (const r of our) byState[r.state] = (byState[r.state] || 0) + 1;
const reasons = new Set(our.map((r) => r.reason).filter(Boolean));
console.log(`requests: ${cases.length} cases (${Object.entries(byState).map(([k, v]) => `${v} ${k}`).join(', ')}; ${reasons.size} distinct reasons), ${passed} agree, ${failed} disagree`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
