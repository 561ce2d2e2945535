import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

/** The socket inodes a process holds open, from the `socket:[inode]` links in `/proc/<pid>/fd`. */
function socketInodes(pid: number): Set<string> {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const match = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (match) inodes.add(match[1]!);
    } catch {
      // the descriptor closed while we read the directory
    }
  }
  return inodes;
}

const TCP_LISTEN = '0A';
const UNIX_LISTENING = 0x10000; // __SO_ACCEPTCON in /proc/net/unix's Flags column

/** The TCP ports (IPv4 and IPv6) on which process `pid` listens, with the address each is bound to. */
export function listeningTcpSockets(pid: number): { address: string; port: number }[] {
  const own = socketInodes(pid);
  const found: { address: string; port: number }[] = [];
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of readFileSync(table, 'utf8').split('\n').slice(1)) {
      const columns = line.trim().split(/\s+/);
      if (columns.length < 10 || columns[3] !== TCP_LISTEN || !own.has(columns[9]!)) continue;
      const [address, port] = columns[1]!.split(':');
      found.push({ address: address!, port: parseInt(port!, 16) });
    }
  }
  return found;
}

/** The paths of the Unix sockets on which process `pid` listens. */
export function listeningUnixSockets(pid: number): string[] {
  const own = socketInodes(pid);
  const found: string[] = [];
  for (const line of readFileSync('/proc/net/unix', 'utf8').split('\n').slice(1)) {
    const columns = line.trim().split(/\s+/);
    if (columns.length < 8 || !own.has(columns[6]!)) continue;
    if ((parseInt(columns[3]!, 16) & UNIX_LISTENING) === 0) continue;
    found.push(columns[7]!);
  }
  return found;
}
