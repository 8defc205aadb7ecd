// Backend API call throughput with @clerk/backend's client (a benchmark for bench/run.sh:
// prints, asserts nothing), its apiUrl pointed at a Clerk emulator on 127.0.0.1.
//   node api.mjs URL SECRET get N USER_ID    N sequential users.getUser
//   node api.mjs URL SECRET list TOTAL PAGE  users.getUserList({limit, offset}) page after
//                                            page until TOTAL users or the end (each page
//                                            is two requests: the list and its count)
// Prints one JSON line: calls, items, wall seconds and process CPU seconds around the loop.
import { createClerkClient } from '@clerk/backend';

const [url, secret, mode, nText, arg] = process.argv.slice(2);
const clerk = createClerkClient({ secretKey: secret, apiUrl: url });
const n = Number(nText);
let calls = 0;
let items = 0;
const cpu0 = process.cpuUsage();
const wall0 = process.hrtime.bigint();
if (mode === 'get') {
  for (let i = 0; i < n; i++) await clerk.users.getUser(arg);
  calls = items = n;
} else if (mode === 'list') {
  const limit = Number(arg);
  // Bounded: at most TOTAL users, and a short page ends it.
  while (items < n) {
    const { data } = await clerk.users.getUserList({ limit, offset: items });
    calls++;
    items += data.length;
    if (data.length < limit) break;
  }
} else {
  throw new Error(`unknown mode ${mode}`);
}
const wall = Number(process.hrtime.bigint() - wall0) / 1e9;
const cpu = process.cpuUsage(cpu0);
console.log(JSON.stringify({
  bench: 'api', impl: 'clerk-backend', mode, calls, items, wall_s: wall,
  cpu_s: (cpu.user + cpu.system) / 1e6,
}));
