// Session token verification in Node (a benchmark for bench/run.sh: prints, asserts
// nothing): @clerk/backend's networkless verifyToken(token, {jwtKey}) and jose's
// jwtVerify with a pre-imported key, on the one token of the run. One JSON line per
// measurement: count, wall seconds and process CPU seconds (Node runs JS on one thread).
// Usage: node verify.mjs TOKEN_FILE PUBLIC_KEY_PEM [SECONDS]
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { verifyToken } from '@clerk/backend';
import { importSPKI, jwtVerify } from 'jose';

const [tokenFile, keyFile, secondsArg] = process.argv.slice(2);
const token = readFileSync(tokenFile, 'utf8').trim();
const pem = readFileSync(keyFile, 'utf8');
const seconds = Number(secondsArg ?? 1);
const require = createRequire(import.meta.url);
const versions = {
  '@clerk/backend': require('@clerk/backend/package.json').version,
  jose: require('jose/package.json').version,
};

async function measure(name, work) {
  for (let i = 0; i < 200; i++) await work(); // warm-up (and JIT)
  let count = 0;
  const cpu0 = process.cpuUsage();
  const wall0 = process.hrtime.bigint();
  const deadline = wall0 + BigInt(Math.round(seconds * 1e9));
  // Bounded by time and by count.
  while (count < 10_000_000) {
    for (let i = 0; i < 64; i++) await work();
    count += 64;
    if (process.hrtime.bigint() >= deadline) break;
  }
  const wall = Number(process.hrtime.bigint() - wall0) / 1e9;
  const cpu = process.cpuUsage(cpu0);
  console.log(JSON.stringify({
    bench: 'verify', impl: name, threads: 1, count, wall_s: wall,
    cpu_s: (cpu.user + cpu.system) / 1e6, version: versions[name.startsWith('jose') ? 'jose' : '@clerk/backend'],
  }));
}

const clerk = async () => {
  const result = await verifyToken(token, { jwtKey: pem });
  if (result.errors) throw new Error(`verifyToken: ${result.errors[0].message}`);
};
const key = await importSPKI(pem, 'RS256');
const jose = async () => {
  await jwtVerify(token, key, { algorithms: ['RS256'] });
};
await clerk();
await jose();
await measure('clerk-backend-verifyToken', clerk);
await measure('jose-jwtVerify', jose);
