/**
 * `node --import ./test/reliability/support/loopback-guard-preload.ts …`: installs the loopback
 * guard in a child server before it starts, and reports each refused connection on stderr as a
 * `[loopback-guard] refused <host:port>` line.
 */
import { installLoopbackGuard } from './loopback-guard.ts';

const guard = installLoopbackGuard();
const push = guard.refused.push.bind(guard.refused);
guard.refused.push = (...items: string[]) => {
  for (const item of items) process.stderr.write(`[loopback-guard] refused ${item}\n`);
  return push(...items);
};
