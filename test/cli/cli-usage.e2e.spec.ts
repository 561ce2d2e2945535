import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { SERVER_ENTRY, SERVER_NODE_FLAGS } from '../../src/cli/commands/start.ts';
import { runCli } from '../support/cli.ts';

/** `syncline` as users of command-line tools expect it: help on every level, 2 for wrong arguments, 1 for failures. */
describe('syncline: help, usage errors and exit codes', () => {
  it('--help and -h on every level print the usage on stdout and exit 0', async () => {
    const cases: [string[], RegExp][] = [
      [['--help'], /^usage: syncline <command>/],
      [['-h'], /^usage: syncline <command>/],
      [['help'], /^usage: syncline <command>/],
      [['help', 'status'], /^usage: syncline status/],
      [['start', '--help'], /^usage: syncline start/],
      [['migrate', '-h'], /^usage: syncline migrate/],
      [['token', '--help'], /^usage: syncline token <create\|list\|revoke>/],
      [['token', 'create', '--help'], /^usage: syncline token create/],
      [['token', 'list', '-h'], /^usage: syncline token list/],
      [['token', 'revoke', '--help'], /^usage: syncline token revoke <id>/],
      [['status', '--help'], /^usage: syncline status/],
      [['rebuild-projections', '--help'], /^usage: syncline rebuild-projections/],
    ];
    const results = await Promise.all(cases.map(([args]) => runCli(args)));
    results.forEach((result, i) => {
      const [args, usage] = cases[i]!;
      expect({ args, code: result.code, stderr: result.stderr }).toEqual({ args, code: 0, stderr: '' });
      expect(result.stdout).toMatch(usage);
    });
    expect(results[9]!.stdout).toContain('exit status');
  });

  it('emulate --help shows the emulator\'s own usage, with its providers', async () => {
    const result = await runCli(['emulate', '--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^usage: syncline emulate <provider> \[options\]/);
    expect(result.stdout).toContain('stripe (port 12111)');
    const wrong = await runCli(['emulate', 'nosuchprovider']);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain('unknown provider "nosuchprovider"');
  });

  it('wrong arguments exit 2 with one error line and the usage of the command on stderr', async () => {
    const cases: [string[], string, RegExp][] = [
      [[], 'missing command', /usage: syncline <command>/],
      [['frobnicate'], 'unknown command "frobnicate"', /usage: syncline <command>/],
      [['--frobnicate'], 'unknown option "--frobnicate"', /usage: syncline <command>/],
      [['token'], 'missing subcommand', /usage: syncline token <create\|list\|revoke>/],
      [['token', 'mint'], 'unknown subcommand "mint"', /usage: syncline token <create\|list\|revoke>/],
      [['token', 'revoke'], 'missing the id', /usage: syncline token revoke <id>/],
      [['token', 'create', '--root', '--url', 'http://127.0.0.1:1'], '--root opens the database, not a server', /usage: syncline token create/],
      [['status', '--frobnicate'], "Unknown option '--frobnicate'", /usage: syncline status/],
      [['status', 'extra'], 'unexpected argument "extra"', /usage: syncline status/],
      [['status'], 'no API token', /usage: syncline status/],
      [['status', '--token', 'x', '--url', 'ftp://127.0.0.1'], '--url / SYNCLINE_URL must be http or https', /usage: syncline status/],
      [['migrate', 'now'], 'unexpected argument "now"', /usage: syncline migrate/],
      [['help', 'frobnicate'], 'unknown command "frobnicate"', /usage: syncline <command>/],
    ];
    const results = await Promise.all(cases.map(([args]) => runCli(args)));
    results.forEach((result, i) => {
      const [args, message, usage] = cases[i]!;
      expect({ args, code: result.code, stdout: result.stdout }).toEqual({ args, code: 2, stdout: '' });
      expect(result.stderr.split('\n')[0]).toContain(`error: ${message}`);
      expect(result.stderr).toMatch(usage);
    });
  });

  it('a failure exits 1 with one line saying why (here: no server listens)', async () => {
    const result = await runCli(['token', 'list'], { SYNCLINE_TOKEN: 'syn_nothing_listens_here_0000', SYNCLINE_URL: 'http://127.0.0.1:9' });
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(/^error: cannot reach the Syncline server at http:\/\/127\.0\.0\.1:9 \(.+\): is it running\?/);
  });

  it('--version prints the package version', async () => {
    const manifest = JSON.parse(readFileSync(path.resolve(import.meta.dirname, '..', '..', 'package.json'), 'utf8'));
    const result = await runCli(['--version']);
    expect(result).toEqual({ code: 0, stdout: `${manifest.version}\n`, stderr: '' });
  });

  it('start runs the server as npm start does (same node flags, same entry)', () => {
    const manifest = JSON.parse(readFileSync(path.resolve(import.meta.dirname, '..', '..', 'package.json'), 'utf8'));
    expect(manifest.scripts.start).toBe(`node ${[...SERVER_NODE_FLAGS, SERVER_ENTRY].join(' ')}`);
    expect(manifest.bin).toEqual({ syncline: 'bin/syncline.mjs' });
  });
});
