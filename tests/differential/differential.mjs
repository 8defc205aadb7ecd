// Differential test: the same corpus of session tokens through @clerk/backend's
// verifyToken (the reference) and through `clerk verify --jsonl`; decisions and reasons
// must agree on every case, except the documented deviations, where our documented
// behaviour is asserted instead.
//
// usage: node differential.mjs PATH_TO_CLERK_BINARY
import { spawn } from 'node:child_process';
import http from 'node:http';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import crypto from 'node:crypto';
import { verifyToken } from '@clerk/backend';
import { __experimental_JWTPayloadToAuthObjectProperties as toAuthProperties } from '@clerk/shared/jwtPayloadParser';

const clerkBinary = process.argv[2];
if (!clerkBinary) {
  console.error('usage: node differential.mjs PATH_TO_CLERK_BINARY');
  process.exit(2);
}

// ---- keys (generated per run, never committed) ----
const rsa = (bits) => crypto.generateKeyPairSync('rsa', { modulusLength: bits });
const keyA = rsa(2048);
const keyB = rsa(2048);
const key4096 = rsa(4096);
const spkiPem = (pair) => pair.publicKey.export({ type: 'spki', format: 'pem' });
const pkcs1Pem = (pair) => pair.publicKey.export({ type: 'pkcs1', format: 'pem' });
const PEM_A = spkiPem(keyA);

// ---- token building ----
const b64 = (data) => Buffer.from(data).toString('base64url');
const json64 = (value) => b64(typeof value === 'string' ? value : JSON.stringify(value));
const HASH = { RS256: 'sha256', RS384: 'sha384', RS512: 'sha512' };

function sign(pair, signingInput, hash = 'sha256') {
  return crypto.sign(hash, Buffer.from(signingInput), pair.privateKey).toString('base64url');
}

const N = 1_700_000_000; // "now" in seconds for most cases
const baseClaims = () => ({
  sub: 'user_123',
  sid: 'sess_123',
  iss: 'https://clerk.example.test',
  azp: 'https://app.example.test',
  iat: N - 10,
  nbf: N - 10,
  exp: N + 60,
  v: 2,
  sts: 'active',
  fva: [1, -1],
});
const baseHeader = () => ({ alg: 'RS256', typ: 'JWT', kid: 'ins_key_1', cat: 'cl_B7d4PD111AAA' });

/** A signed token; `header`/`claims` overlay the defaults (undefined removes a field). */
function token({ header = {}, claims = {}, pair = keyA, hash, rawHeader, rawPayload } = {}) {
  const h = { ...baseHeader(), ...header };
  const c = { ...baseClaims(), ...claims };
  for (const k of Object.keys(h)) if (h[k] === undefined) delete h[k];
  for (const k of Object.keys(c)) if (c[k] === undefined) delete c[k];
  const head = rawHeader ?? json64(h);
  const body = rawPayload ?? json64(c);
  const input = `${head}.${body}`;
  return `${input}.${sign(pair, input, hash ?? HASH[h.alg] ?? 'sha256')}`;
}

// ---- the corpus ----
// Each case: name, token, options (jwtKey, authorizedParties, now, clockSkewInMs,
// audience, issuer), and for documented deviations `deviation: {ok, reason}` (ours).
const cases = [];
const add = (name, tok, options = {}, deviation) =>
  cases.push({ name, token: tok, jwtKey: PEM_A, now: N, ...options, deviation });

// 1. decode
add('valid', token());
add('two segments', 'eyJhbGciOiJSUzI1NiJ9.e30');
add('four segments', `${token()}.x`);
add('empty string', '');
add('header not base64url', `!!!.${json64(baseClaims())}.abc`);
add('header not json', `${b64('not json')}.${json64(baseClaims())}.abc`);
add('payload not json', token({ rawPayload: b64('{"sub":') }));
add('signature not base64url', `${token().split('.').slice(0, 2).join('.')}.***`);
{
  const head = `${json64(baseHeader())}==`;
  const body = `${json64(baseClaims())}=`;
  const input = `${head}.${body}`;
  add('padding tolerated', `${input}.${sign(keyA, input)}=`);
}
{
  // A header whose base64url text does not end on a byte boundary, with the unused low
  // bits of its last character set: not canonical base64url, refused by both.
  let headerText = JSON.stringify(baseHeader());
  while (b64(headerText).length % 4 === 0) headerText += ' ';
  const canonical = b64(headerText);
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  const head = canonical.slice(0, -1) + alphabet[alphabet.indexOf(canonical.at(-1)) | 1];
  const input = `${head}.${json64(baseClaims())}`;
  add('non-zero trailing bits in header', `${input}.${sign(keyA, input)}`);
}

// 2. category
add('m2m category', token({ header: { cat: 'cl_B7d4PD333AAA' } }));
add('m2m category beats bad alg', token({ header: { cat: 'cl_B7d4PD333AAA', alg: 'none' } }));
add('other category passes', token({ header: { cat: 'cl_other' } }));
add('no category passes', token({ header: { cat: undefined } }));

// 3. key selection
add('no key configured', token(), { jwtKey: null });
add('no key but malformed token', 'a.b', { jwtKey: null });
add('no key, m2m category', token({ header: { cat: 'cl_B7d4PD333AAA' } }), { jwtKey: null });
add('no key, bad alg', token({ header: { alg: 'none' } }), { jwtKey: null });
add('kid absent in pem mode', token({ header: { kid: undefined } }));
// The reference turns this text into a 24-bit "modulus" that imports and then fails the
// signature; we refuse a key that is not a real RSA key as unusable.
add('unparseable pem key (deviation)', token(), { jwtKey: '-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n' }, { ok: false, reason: 'token-verification-failed' });
add('other garbage pem key (deviation)', token(), { jwtKey: '-----BEGIN PUBLIC KEY-----\n!!!!\n-----END PUBLIC KEY-----\n' }, { ok: false, reason: 'token-verification-failed' });
add('unusable pem key, bad alg first', token({ header: { alg: 'HS256' } }), { jwtKey: 'garbage' });

// 4. header
add('typ absent', token({ header: { typ: undefined } }));
add('typ lowercase jwt', token({ header: { typ: 'jwt' } }));
add('typ at+jwt', token({ header: { typ: 'at+jwt' } }));
add('typ null', token({ header: { typ: null } }));
add('typ number', token({ header: { typ: 5 } }));
add('typ checked before alg', token({ header: { typ: 'JWS', alg: 'none' } }));
for (const alg of ['none', 'HS256', 'PS256', 'ES256', 'rs256', 'RS1']) {
  add(`alg ${alg}`, token({ header: { alg }, hash: 'sha256' }));
}
add('alg missing', token({ header: { alg: undefined }, hash: 'sha256' }));
add('alg number', token({ header: { alg: 256 }, hash: 'sha256' }));

// 5. signature
add('signature by another key', token({ pair: keyB }));
add('signature bit flipped', (() => {
  const [h, p, s] = token().split('.');
  const sig = Buffer.from(s, 'base64url');
  sig[10] ^= 1;
  return `${h}.${p}.${sig.toString('base64url')}`;
})());
add('empty signature', `${token().split('.').slice(0, 2).join('.')}.`);
add('short signature', `${token().split('.').slice(0, 2).join('.')}.${b64('abc')}`);
add('payload swapped after signing', (() => {
  const [h, , s] = token().split('.');
  return `${h}.${json64({ ...baseClaims(), sub: 'user_evil' })}.${s}`;
})());
add('bad signature beats expiry', token({ pair: keyB, claims: { exp: N - 100 } }));
add('RS256 header signed with SHA-384', token({ hash: 'sha384' }));

// 6.1 sub
add('sub missing', token({ claims: { sub: undefined } }));
add('sub number', token({ claims: { sub: 5 } }));
add('sub null', token({ claims: { sub: null } }));
add('sub empty string', token({ claims: { sub: '' } }));
add('sub checked before expiry', token({ claims: { sub: 5, exp: N - 100 } }));

// 6.2 aud
const aud = (name, claimsAud, audience, deviation) =>
  add(`aud ${name}`, token({ claims: { aud: claimsAud } }), { audience }, deviation);
aud('string match', 'api', 'api');
aud('string mismatch', 'web', 'api');
aud('array match', ['web', 'api'], 'api');
aud('array mismatch', ['web'], 'api');
aud('option list', 'web', ['api', 'web']);
aud('empty string claim skips', '', 'api');
aud('empty array claim skips', [], 'api');
aud('absent claim skips', undefined, 'api');
aud('no option skips', 'web', undefined);
aud('empty option skips', 'web', '');
aud('array with empty string member', ['', 'api'], 'api');
aud('number claim (deviation)', 5, 'api', { ok: false, reason: 'token-verification-failed' });
aud('array of numbers (deviation)', [1], 'api', { ok: false, reason: 'token-verification-failed' });
add('aud checked before azp', token({ claims: { aud: 'web', azp: 'x' } }), { audience: 'api', authorizedParties: ['https://app.example.test'] });

// 6.3 azp
const parties = ['https://app.example.test', 'https://other.example.test'];
add('azp match', token(), { authorizedParties: parties });
add('azp second party', token({ claims: { azp: 'https://other.example.test' } }), { authorizedParties: parties });
add('azp mismatch', token({ claims: { azp: 'https://evil.example.test' } }), { authorizedParties: parties });
add('azp trailing slash', token({ claims: { azp: 'https://app.example.test/' } }), { authorizedParties: parties });
add('azp missing', token({ claims: { azp: undefined } }), { authorizedParties: parties });
add('azp empty', token({ claims: { azp: '' } }), { authorizedParties: parties });
add('azp number', token({ claims: { azp: 5 } }), { authorizedParties: parties });
add('azp with an empty-string party list', token(), { authorizedParties: [''] });
add('azp unchecked without parties', token({ claims: { azp: 'https://evil.example.test' } }), { authorizedParties: [] });
add('azp checked before expiry', token({ claims: { azp: 'x', exp: N - 100 } }), { authorizedParties: parties });

// 6.4 iss
add('iss match', token(), { issuer: 'https://clerk.example.test' });
add('iss list match', token(), { issuer: ['https://a', 'https://clerk.example.test'] });
add('iss mismatch', token(), { issuer: 'https://other' });
add('iss missing', token({ claims: { iss: undefined } }), { issuer: 'https://clerk.example.test' });
add('iss number', token({ claims: { iss: 5 } }), { issuer: 'https://clerk.example.test' });
add('iss checked before expiry', token({ claims: { exp: N - 100 } }), { issuer: 'https://other' });

// 6.5 exp (skew 5 s by default)
add('exp N-4 ok', token({ claims: { exp: N - 4 } }));
add('exp N-5 expired', token({ claims: { exp: N - 5 } }));
add('exp N-5 ok one ms earlier', token({ claims: { exp: N - 5 } }), { now: N - 0.001 });
add('exp N-4 expired with now N+0.999', token({ claims: { exp: N - 4 } }), { now: N + 0.999 });
add('exp N-4 expired with now N+1', token({ claims: { exp: N - 4 } }), { now: N + 1 });
add('skew 0: exp N expired', token({ claims: { exp: N } }), { clockSkewInMs: 0 });
add('skew 0: exp N+1 ok', token({ claims: { exp: N + 1 } }), { clockSkewInMs: 0 });
add('skew 60 s: exp N-59 ok', token({ claims: { exp: N - 59 } }), { clockSkewInMs: 60000 });
add('skew 60 s: exp N-60 expired', token({ claims: { exp: N - 60 } }), { clockSkewInMs: 60000 });
add('fractional exp N-3.1 ok', token({ claims: { exp: N - 3.1 } }));
add('fractional exp N-4.5 expired', token({ claims: { exp: N - 4.5 } }));
add('fractional exp N-4.9 expired', token({ claims: { exp: N - 4.9 } }));
add('exp missing', token({ claims: { exp: undefined } }));
add('exp string', token({ claims: { exp: String(N + 60) } }));
add('exp null', token({ claims: { exp: null } }));
add('exp far future (year 2286)', token({ claims: { exp: 9_999_999_999 } }));
add('exp 1e13 (deviation)', token({ claims: { exp: 1e13 } }), {}, { ok: false, reason: 'token-verification-failed' });
add('exp year 10000 (deviation)', token({ claims: { exp: 253_402_300_800 } }), {}, { ok: false, reason: 'token-verification-failed' });

// 6.6 nbf
add('nbf N+5 ok', token({ claims: { nbf: N + 5 } }));
add('nbf N+6 not active', token({ claims: { nbf: N + 6 } }));
add('skew 0: nbf N ok', token({ claims: { nbf: N } }), { clockSkewInMs: 0 });
add('skew 0: nbf N+1 not active', token({ claims: { nbf: N + 1 } }), { clockSkewInMs: 0 });
add('nbf absent ok', token({ claims: { nbf: undefined } }));
add('nbf string', token({ claims: { nbf: 'soon' } }));
add('nbf null', token({ claims: { nbf: null } }));
add('nbf 1e13 (deviation)', token({ claims: { nbf: 1e13 } }), {}, { ok: false, reason: 'token-verification-failed' });
add('expired beats not active', token({ claims: { exp: N - 100, nbf: N + 100 } }));

// 6.7 iat
add('iat N+5 ok', token({ claims: { iat: N + 5 } }));
add('iat N+6 in the future', token({ claims: { iat: N + 6 } }));
add('iat absent ok', token({ claims: { iat: undefined } }));
add('iat string', token({ claims: { iat: 'now' } }));
add('not active beats iat', token({ claims: { nbf: N + 100, iat: N + 100 } }));

// 8. not checked
add('pending session verifies', token({ claims: { sts: 'pending' } }));
add('sid and v not checked', token({ claims: { sid: 5, v: 'x' } }));

// Deviations: keys and algorithms the reference's PEM handling cannot use.
add('PKCS#1 PEM (deviation)', token(), { jwtKey: pkcs1Pem(keyA) }, { ok: true });
add('RSA-4096 PEM (deviation)', token({ pair: key4096 }), { jwtKey: spkiPem(key4096) }, { ok: true });
add('RS384 with PEM (deviation)', token({ header: { alg: 'RS384' } }), {}, { ok: true });
add('RS512 with PEM (deviation)', token({ header: { alg: 'RS512' } }), {}, { ok: true });
add('RS384 bad signature (deviation)', token({ header: { alg: 'RS384' }, pair: keyB }), {}, { ok: false, reason: 'token-invalid-signature' });
// The doc requires JSON objects; the reference reads a non-object header as having no alg.
add('header is a JSON number (deviation)', token({ rawHeader: b64('1') }), {}, { ok: false, reason: 'token-invalid' });
add('payload is a JSON array (deviation)', token({ rawPayload: b64('[]') }), {}, { ok: false, reason: 'token-invalid' });

// Claims: v1 and v2 organizations (compared field by field when both accept).
add('v1 org claims', token({ claims: { v: undefined, org_id: 'org_1', org_slug: 'acme', org_role: 'org:admin', org_permissions: ['org:a:read'] } }));
add('v2 worked example', token({ claims: { fea: 'o:dash,o:billing', o: { id: 'org_2', slg: 'acme', rol: 'admin', per: 'read,manage', fpm: '3,2' } } }));
add('v2 big masks', token({
  claims: {
    fea: 'o:a,u:b,ou:c',
    o: { id: 'org_3', rol: 'member', per: Array.from({ length: 64 }, (_, i) => `p${i}`).join(','), fpm: '9223372036854775809,18446744073709551615' },
  },
}));
add('v2 malformed mask', token({ claims: { fea: 'o:a,o:b', o: { id: 'org_4', rol: 'x', per: 'read,write', fpm: 'x,3' } } }));
add('v2 without o', token({ claims: { fea: 'o:a', org_id: 'org_legacy' } }));

// Tokens minted by `clerk token mint` (PKCS#8 and PKCS#1 private keys) must satisfy the
// reference too.
{
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'clerk-differential-'));
  const formats = { pkcs8: 'pkcs8', pkcs1: 'pkcs1' };
  for (const [label, type] of Object.entries(formats)) {
    const file = path.join(dir, `${label}.pem`);
    fs.writeFileSync(file, keyA.privateKey.export({ type, format: 'pem' }));
    const minted = execFileSync(clerkBinary, [
      'token', 'mint', '--key', file, '--kid', 'ins_key_1', '--now', String(N),
      '--claims', JSON.stringify({ sub: 'user_minted', o: { id: 'org_m', rol: 'admin', per: 'read', fpm: '1' }, fea: 'o:x' }),
    ], { encoding: 'utf8' }).trim();
    add(`clerk token mint (${label} key)`, minted);
    const rs512 = execFileSync(clerkBinary, [
      'token', 'mint', '--key', file, '--kid', 'ins_key_1', '--now', String(N), '--header', '{"alg":"RS512"}',
    ], { encoding: 'utf8' }).trim();
    add(`clerk token mint RS512 (${label} key, deviation)`, rs512, {}, { ok: true });
  }
  fs.rmSync(dir, { recursive: true, force: true });
}

// ---- JWKS mode: keys from GET {apiUrl}/v1/jwks on a loopback server ----
const jwk = (pair, kid, alg) => ({ ...pair.publicKey.export({ format: 'jwk' }), kid, use: 'sig', ...(alg ? { alg } : {}) });
const jwksBody = JSON.stringify({
  keys: [jwk(keyA, 'ins_key_1', 'RS256'), jwk(keyB, 'ins_key_noalg'), jwk(key4096, 'ins_key_4096', 'RS256')],
});
const jwksCases = [];
const addJwks = (name, tok, options = {}) => jwksCases.push({ name, token: tok, jwtKey: null, now: N, ...options });
addJwks('jwks: valid', token());
addJwks('jwks: unknown kid', token({ header: { kid: 'ins_key_unknown' } }));
addJwks('jwks: kid absent', token({ header: { kid: undefined } }));
addJwks('jwks: key selection before alg', token({ header: { kid: 'ins_key_other', alg: 'none' } }));
addJwks('jwks: alg none with known kid', token({ header: { alg: 'none' } }));
addJwks('jwks: RS384 against an RS256 JWK', token({ header: { alg: 'RS384' } }));
addJwks('jwks: RS384 against a JWK without alg', token({ header: { alg: 'RS384', kid: 'ins_key_noalg' }, pair: keyB }));
addJwks('jwks: RSA-4096 key', token({ header: { kid: 'ins_key_4096' }, pair: key4096 }));
addJwks('jwks: m2m category before key', token({ header: { kid: 'ins_key_unknown', cat: 'cl_B7d4PD333AAA' } }));
addJwks('jwks: wrong key for kid', token({ pair: keyB }));
addJwks('jwks: expired', token({ claims: { exp: N - 10 } }));
addJwks('jwks: azp', token(), { authorizedParties: ['https://other.example.test'] });

/** Serves `status` + `body` for GET /v1/jwks (404 elsewhere); resolves to the server. */
function serve(status, body) {
  return new Promise((resolve) => {
    const server = http.createServer((req, res) => {
      const ok = req.method === 'GET' && req.url === '/v1/jwks' && req.headers.authorization === 'Bearer sk_test_differential';
      res.writeHead(ok ? status : 404, { 'content-type': 'application/json' });
      res.end(ok ? body : '{"errors":[{"code":"resource_not_found","message":"not found"}]}');
    });
    server.listen(0, '127.0.0.1', () => resolve(server));
  });
}

const failingCases = [];
const keyInvalidBody = JSON.stringify({ errors: [{ code: 'clerk_key_invalid', message: 'The provided Clerk Secret Key is invalid.' }] });

// ---- run the reference ----
async function reference(c, extra = {}) {
  const realNow = Date.now;
  Date.now = () => c.now * 1000;
  try {
    const options = {
      jwtKey: c.jwtKey ?? undefined,
      authorizedParties: c.authorizedParties,
      clockSkewInMs: c.clockSkewInMs,
      audience: c.audience,
      issuer: c.issuer,
      ...extra,
    };
    // The public verifyToken returns the payload, or throws a TokenVerificationError.
    try {
      return { ok: true, claims: await verifyToken(c.token, options) };
    } catch (error) {
      if (error?.reason) return { ok: false, reason: error.reason, message: error.message };
      return { ok: false, reason: `exception: ${error?.message}` };
    }
  } finally {
    Date.now = realNow;
  }
}

// ---- run ours ----
// Twice: the verified-token cache off (one verification per case), and on with each case
// verified twice by one verifier (`repeat: 2`: the second must be a cache hit with the
// same result, or the CLI reports unexpected-error); both runs are compared to the
// reference.
const cacheModes = [
  { label: 'token cache off', env: { CLERK_TOKEN_CACHE_SIZE: '0' }, repeat: undefined },
  { label: 'token cache on, each token twice', env: { CLERK_TOKEN_CACHE_SIZE: '16' }, repeat: 2 },
];
async function oursBothWays(caseList, extraEnv = {}) {
  const results = [];
  for (const mode of cacheModes) {
    results.push({ mode: mode.label, lines: await ours(caseList, { ...extraEnv, ...mode.env }, mode.repeat) });
  }
  return results;
}
function ours(caseList, extraEnv = {}, repeat = undefined) {
  const input = caseList.map(({ deviation, name, ...c }) => JSON.stringify({ ...c, repeat })).join('\n') + '\n';
  const env = { ...process.env, ...extraEnv };
  if (!extraEnv.CLERK_SECRET_KEY) delete env.CLERK_SECRET_KEY;
  delete env.CLERK_JWT_KEY;
  return new Promise((resolve, reject) => {
    // Asynchronous, so this process keeps serving the loopback JWKS meanwhile.
    const child = spawn(clerkBinary, ['verify', '--jsonl'], { env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`clerk verify --jsonl exited ${code}: ${stderr}`));
      const lines = stdout.trim().split('\n').map((line) => JSON.parse(line));
      if (lines.length !== caseList.length) return reject(new Error(`expected ${caseList.length} lines, got ${lines.length}`));
      resolve(lines);
    });
    child.stdin.end(input);
  });
}

const runs = [];
{
  const refs = [];
  for (const c of cases) refs.push(await reference(c));
  for (const { mode, lines } of await oursBothWays(cases)) runs.push({ mode, cases, refs, ours: lines });
}
for (const [status, body, label, list] of [
  [200, jwksBody, 'jwks', jwksCases],
  [401, keyInvalidBody, 'secret key invalid', failingCases],
  [200, '{"keys":[]}', 'empty key set', failingCases],
  [500, '{"errors":[]}', 'server error', failingCases],
]) {
  const server = await serve(status, body);
  const apiUrl = `http://127.0.0.1:${server.address().port}`;
  const caseList = list === jwksCases
    ? jwksCases
    : [{ name: `${label}: valid token`, token: token(), jwtKey: null, now: N }];
  const secretKey = 'sk_test_differential';
  const refs = [];
  for (const c of caseList) refs.push(await reference(c, { secretKey, apiUrl }));
  const ourResults = await oursBothWays(caseList, { CLERK_SECRET_KEY: secretKey, CLERK_API_URL: apiUrl });
  server.close();
  for (const { mode, lines } of ourResults) runs.push({ mode, cases: caseList, refs, ours: lines });
}

// ---- compare ----
function organizationOf(claims) {
  const props = toAuthProperties(claims);
  if (!props.orgId) return null;
  return { id: props.orgId, slug: props.orgSlug ?? null, role: props.orgRole ?? null, permissions: props.orgPermissions ?? [] };
}
function ourOrganization(claims) {
  const org = claims.organization;
  if (!org) return null;
  return { id: org.id, slug: org.slug ?? null, role: org.role ?? null, permissions: org.permissions };
}

let passed = 0;
let failed = 0;
for (const run of runs) {
  run.cases.forEach((c, i) => {
    const ref = run.refs[i];
    const our = run.ours[i];
    const problems = [];
    if (c.deviation) {
      if (our.ok !== c.deviation.ok || (!c.deviation.ok && our.reason !== c.deviation.reason)) {
        problems.push(`deviation expected ${JSON.stringify(c.deviation)}, ours ${our.ok ? 'ok' : our.reason}`);
      }
      if (ref.ok === c.deviation.ok && ref.reason === c.deviation.reason) {
        problems.push(`marked as a deviation but the reference agrees (${ref.ok ? 'ok' : ref.reason})`);
      }
    } else if (ref.ok !== our.ok || (!ref.ok && ref.reason !== our.reason)) {
      problems.push(`reference ${ref.ok ? 'ok' : ref.reason}, ours ${our.ok ? 'ok' : `${our.reason} (${our.message})`}`);
    } else if (ref.ok) {
      const refOrg = JSON.stringify(organizationOf(ref.claims));
      const ourOrg = JSON.stringify(ourOrganization(our.claims));
      if (refOrg !== ourOrg) problems.push(`organization: reference ${refOrg}, ours ${ourOrg}`);
      if (our.claims.sub !== ref.claims.sub) problems.push(`sub: reference ${ref.claims.sub}, ours ${our.claims.sub}`);
    }
    if (problems.length) {
      failed += 1;
      console.log(`FAIL ${c.name} [${run.mode}]: ${problems.join('; ')}`);
    } else {
      passed += 1;
      if (process.env.VERBOSE) console.log(`ok   ${c.name} [${run.mode}]: ${our.ok ? 'ok' : our.reason}`);
    }
  });
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
