import { startGitHubEmulator, type GitHubEmulator } from '../../../src/emulators/github/index.ts';
import type { ConformanceTarget } from '../conformance/target.ts';

/** `<repository id>#<number>`: the repository is found by its `repository_url`, a pull request's in `base.repo`. */
function scopedUpstreamId(emulator: GitHubEmulator, collectionId: string, object: Record<string, unknown>): string {
  if (collectionId === 'github:pull_request') return `${(object.base as { repo: { id: number } }).repo.id}#${object.number as number}`;
  const repo = emulator.objects('repository').find((r) => r.url === object.repository_url);
  if (!repo) throw new Error(`no repository ${String(object.repository_url)} in the emulator`);
  return `${repo.id as number}#${object.number as number}`;
}

let current: GitHubEmulator | null = null;

export const githubConformanceTarget: ConformanceTarget<GitHubEmulator> = {
  provider: 'github',
  collections: ['github:repository', 'github:issue', 'github:pull_request'],
  startEmulator: async ({ objects, randomSeed, rateLimit }) => {
    current = await startGitHubEmulator({ objects, randomSeed, token: 'ghp_conformance', rateLimit: rateLimit ?? null });
    return current;
  },
  credential: async (_api, emulator) => ({ kind: 'github', access_token: emulator.token, api_base_url: emulator.url }),
  upstreamId: (collectionId, object) => {
    if (collectionId === 'github:repository') return String(object.id);
    if (!current) throw new Error('the GitHub emulator is not running');
    return scopedUpstreamId(current, collectionId, object);
  },
  mutation: {
    collectionId: 'github:repository',
    create: { name: 'conformance-created', description: 'Conformance Created', private: true },
    update: { description: 'Conformance Updated', homepage: 'https://example.com/conformance' },
    showsUpdate: (object) => object.description === 'Conformance Updated' && object.homepage === 'https://example.com/conformance',
  },
};
