import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import { CommandFailure } from './cli-errors.ts';

const FORWARDED: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

/**
 * Runs `node <args>` with this terminal, passes on the signals this process gets (a supervisor's
 * SIGTERM reaches the child; Ctrl-C reaches both already, and the server and the emulators stop
 * once however many they get) and resolves with the child's exit code, 128 + the signal's number
 * when a signal ended it, as shells report.
 */
export function runNode(args: string[], options: { cwd?: string } = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: 'inherit', ...options });
    const forward = (signal: NodeJS.Signals) => child.kill(signal);
    for (const signal of FORWARDED) process.on(signal, forward);
    const cleanUp = () => {
      for (const signal of FORWARDED) process.off(signal, forward);
    };
    child.once('error', (error) => {
      cleanUp();
      reject(new CommandFailure(`could not start ${args.join(' ')}: ${error.message}`));
    });
    child.once('exit', (code, signal) => {
      cleanUp();
      resolve(code ?? 128 + (signal ? (constants.signals[signal] ?? 0) : 0));
    });
  });
}
