/** Seeding and random changes of the emulator's site: issues come and go; projects and users change now and then. */

import type { ChangesMade } from '../kit/provider-emulator.ts';
import type { Random } from '../kit/random.ts';
import { PRIORITIES, randomDescription, randomLabels, randomProject, randomSummary, randomUser, STATUSES } from './objects.ts';
import type { JiraCollection, JiraStore } from './store.ts';

export interface SeedCounts {
  project: number;
  user: number;
  issue: number;
}

/** Seeds users (the first is `admin`), projects, and issues created over the last year, a fifth edited since. */
export function seed(store: JiraStore, random: Random, counts: SeedCounts, admin: { email: string; displayName: string }, timeZone: string): void {
  const adminUser = { ...randomUser(random, timeZone), emailAddress: admin.email, displayName: admin.displayName, active: true };
  store.addUser(adminUser);
  for (let i = 1; i < counts.user; i++) store.addUser(randomUser(random, timeZone));
  for (let i = 0; i < Math.max(1, counts.project); i++) store.addProject(randomProject(random, store.newProjectId(), i));
  const now = Date.now();
  const from = now - 365 * 86_400_000;
  const until = now - 2 * 86_400_000;
  for (let i = 0; i < counts.issue; i++) {
    const at = from + Math.floor(((until - from) * i) / Math.max(1, counts.issue)) + random.int(0, 999);
    const issue = store.createRandomIssue(at);
    if (random.chance(0.2)) issue.updatedMs = at + random.int(60_000, until - at);
  }
}

function updateIssue(store: JiraStore, random: Random, id: number): void {
  const issue = store.issues.get(id);
  if (!issue) return;
  const before = { ...issue, labels: [...issue.labels] };
  switch (random.int(0, 4)) {
    case 0:
      issue.summary = randomSummary(random);
      break;
    case 1:
      issue.statusId = random.pick(STATUSES).id;
      break;
    case 2:
      issue.labels = randomLabels(random);
      break;
    case 3:
      issue.priorityId = random.pick(PRIORITIES).id;
      break;
    default:
      issue.description = randomDescription(random);
  }
  issue.updatedMs = store.stamp();
  store.issueUpdated(issue, before);
}

/** n random changes: mostly issue creates / updates / deletes, sometimes a project renamed or a user (de)activated. */
export function mutateRandomly(store: JiraStore, random: Random, n: number, collections: readonly JiraCollection[]): ChangesMade {
  const made: ChangesMade = { created: [], updated: [], deleted: [] };
  for (let i = 0; i < n; i++) {
    const kind = collections.includes('issue') && (collections.length === 1 || random.chance(0.8)) ? 'issue' : random.pick(collections.filter((c) => c !== 'issue'));
    if (kind === 'project') {
      const project = random.pick([...store.projects.values()]);
      project.name = `${project.name.replace(/ \(.*\)$/, '')} (${random.string(3, 'abcdefghijklmnopqrstuvwxyz')})`;
      made.updated.push(project.id);
      store.changed({ kind: 'project', event: 'updated', project: { ...project } });
      continue;
    }
    if (kind === 'user') {
      const users = [...store.users.values()].slice(1); // the admin stays as it is
      if (users.length === 0) continue;
      const user = random.pick(users);
      if (random.chance(0.5)) user.active = !user.active;
      else user.displayName = `${user.displayName.split(' (')[0]} (${random.string(3, 'abcdefghijklmnopqrstuvwxyz')})`;
      made.updated.push(user.accountId);
      store.changed({ kind: 'user', event: 'updated', user: { ...user } });
      continue;
    }
    const ids = [...store.issues.keys()];
    const roll = random.next();
    if (ids.length === 0 || roll < 0.35) {
      made.created.push(String(store.createRandomIssue(store.stamp()).id));
    } else if (roll < 0.8) {
      const id = random.pick(ids);
      updateIssue(store, random, id);
      made.updated.push(String(id));
    } else {
      const issue = store.issues.get(random.pick(ids));
      if (!issue) continue;
      store.removeIssue(issue);
      made.deleted.push(String(issue.id));
    }
  }
  return made;
}
