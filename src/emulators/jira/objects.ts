/** Jira Cloud's JSON shapes for projects, users and issues (as `/rest/api/3` answers them). */

import type { Random } from '../kit/random.ts';
import { fakePerson } from '../kit/random.ts';
import { jiraTime } from './time.ts';

export type Json = Record<string, unknown>;

export interface StoredProject {
  id: string;
  key: string;
  name: string;
  projectTypeKey: 'software' | 'business' | 'service_desk';
  isPrivate: boolean;
}

export interface StoredUser {
  accountId: string;
  displayName: string;
  emailAddress: string;
  active: boolean;
  timeZone: string;
}

export interface StoredIssue {
  id: number;
  key: string;
  projectId: string;
  summary: string;
  /** Atlassian Document Format, or null. */
  description: Json | null;
  statusId: string;
  issueTypeId: string;
  priorityId: string;
  labels: string[];
  assigneeId: string | null;
  reporterId: string;
  duedate: string | null;
  createdMs: number;
  updatedMs: number;
}

export const STATUSES = [
  { id: '10000', name: 'To Do', category: { id: 2, key: 'new', colorName: 'blue-gray', name: 'To Do' } },
  { id: '3', name: 'In Progress', category: { id: 4, key: 'indeterminate', colorName: 'yellow', name: 'In Progress' } },
  { id: '10001', name: 'Done', category: { id: 3, key: 'done', colorName: 'green', name: 'Done' } },
] as const;

export const ISSUE_TYPES = [
  { id: '10001', name: 'Task', description: 'A small, distinct piece of work.' },
  { id: '10002', name: 'Bug', description: 'A problem or error.' },
  { id: '10003', name: 'Story', description: 'A user story.' },
] as const;

export const PRIORITIES = [
  { id: '1', name: 'Highest' },
  { id: '2', name: 'High' },
  { id: '3', name: 'Medium' },
  { id: '4', name: 'Low' },
] as const;

const avatarUrls = (base: string, kind: string, id: string): Json =>
  Object.fromEntries(['48x48', '24x24', '16x16', '32x32'].map((size) => [size, `${base}/rest/api/3/universal_avatar/view/type/${kind}/avatar/${id}?size=${size.split('x')[0]}`]));

export function renderProject(base: string, p: StoredProject): Json {
  return {
    expand: 'description,lead,issueTypes,url,projectKeys,permissions,insight',
    self: `${base}/rest/api/3/project/${p.id}`,
    id: p.id,
    key: p.key,
    name: p.name,
    avatarUrls: avatarUrls(base, 'project', p.id),
    projectTypeKey: p.projectTypeKey,
    simplified: false,
    style: 'classic',
    isPrivate: p.isPrivate,
    properties: {},
  };
}

export function renderUser(base: string, u: StoredUser): Json {
  return {
    self: `${base}/rest/api/3/user?accountId=${u.accountId}`,
    accountId: u.accountId,
    accountType: 'atlassian',
    emailAddress: u.emailAddress,
    avatarUrls: avatarUrls(base, 'user', u.accountId),
    displayName: u.displayName,
    active: u.active,
    timeZone: u.timeZone,
    locale: 'en_US',
  };
}

/** A user as issue fields embed it (assignee, reporter, creator). */
function userRef(base: string, u: StoredUser | undefined): Json | null {
  if (!u) return null;
  const { self, accountId, emailAddress, avatarUrls: avatars, displayName, active, timeZone, accountType } = renderUser(base, u);
  return { self, accountId, emailAddress, avatarUrls: avatars, displayName, active, timeZone, accountType };
}

export interface IssueContext {
  base: string;
  project(id: string): StoredProject | undefined;
  user(accountId: string): StoredUser | undefined;
}

export function issueFields(context: IssueContext, issue: StoredIssue): Json {
  const { base } = context;
  const project = context.project(issue.projectId);
  const status = STATUSES.find((s) => s.id === issue.statusId) ?? STATUSES[0];
  const type = ISSUE_TYPES.find((t) => t.id === issue.issueTypeId) ?? ISSUE_TYPES[0];
  const priority = PRIORITIES.find((p) => p.id === issue.priorityId) ?? PRIORITIES[2];
  return {
    summary: issue.summary,
    description: issue.description,
    status: {
      self: `${base}/rest/api/3/status/${status.id}`,
      description: '',
      iconUrl: `${base}/`,
      name: status.name,
      id: status.id,
      statusCategory: { self: `${base}/rest/api/3/statuscategory/${status.category.id}`, ...status.category },
    },
    issuetype: { self: `${base}/rest/api/3/issuetype/${type.id}`, id: type.id, description: type.description, name: type.name, subtask: false, hierarchyLevel: 0 },
    project: project
      ? { self: `${base}/rest/api/3/project/${project.id}`, id: project.id, key: project.key, name: project.name, projectTypeKey: project.projectTypeKey, simplified: false, avatarUrls: avatarUrls(base, 'project', project.id) }
      : null,
    priority: { self: `${base}/rest/api/3/priority/${priority.id}`, iconUrl: `${base}/images/icons/priorities/${priority.name.toLowerCase()}.svg`, name: priority.name, id: priority.id },
    labels: [...issue.labels],
    assignee: issue.assigneeId ? userRef(base, context.user(issue.assigneeId)) : null,
    reporter: userRef(base, context.user(issue.reporterId)),
    creator: userRef(base, context.user(issue.reporterId)),
    resolution: status.category.key === 'done' ? { self: `${base}/rest/api/3/resolution/10000`, id: '10000', description: 'Work has been completed on this issue.', name: 'Done' } : null,
    resolutiondate: null,
    duedate: issue.duedate,
    created: jiraTime(issue.createdMs),
    updated: jiraTime(issue.updatedMs),
    statuscategorychangedate: jiraTime(issue.createdMs),
  };
}

/** An issue as GET /issue/{id} and the search answer it; `fields` null = every field, [] = none. */
export function renderIssue(context: IssueContext, issue: StoredIssue, fields: string[] | null = null): Json {
  const all = issueFields(context, issue);
  const rendered: Json = { expand: 'renderedFields,names,schema,operations,editmeta,changelog,versionedRepresentations', id: String(issue.id), self: `${context.base}/rest/api/3/issue/${issue.id}`, key: issue.key };
  if (fields === null) rendered.fields = all;
  else {
    const picked = Object.fromEntries(Object.entries(all).filter(([name]) => fields.includes(name)));
    if (Object.keys(picked).length > 0) rendered.fields = picked;
  }
  return rendered;
}

/** A short ADF document of one paragraph. */
export function adfParagraph(text: string): Json {
  return { type: 'doc', version: 1, content: [{ type: 'paragraph', content: [{ type: 'text', text }] }] };
}

const SUMMARIES = ['Login page times out', 'Add CSV export', 'Flaky test in CI', 'Update onboarding copy', 'Crash on empty cart', 'Rate limit the webhook sender', 'Dark mode for settings', 'Migrate to Node 20'];
const SENTENCES = ['Steps to reproduce are in the linked ticket.', 'Customer reported this twice this week.', 'Needs design review first.', 'Blocked on the API change.'];
export const LABELS = ['backend', 'frontend', 'customer', 'tech-debt', 'urgent'];

export function randomSummary(random: Random): string {
  return `${random.pick(SUMMARIES)} (${random.string(4, 'abcdefghijklmnopqrstuvwxyz')})`;
}

export function randomDescription(random: Random): Json | null {
  return random.chance(0.2) ? null : adfParagraph(random.pick(SENTENCES));
}

export function randomLabels(random: Random): string[] {
  return LABELS.filter(() => random.chance(0.25));
}

export function randomUser(random: Random, timeZone: string): StoredUser {
  const person = fakePerson(random);
  return { accountId: `5b10${random.string(20, '0123456789abcdef')}`, displayName: person.name, emailAddress: person.email, active: !random.chance(0.1), timeZone };
}

const PROJECT_WORDS = ['Platform', 'Mobile', 'Billing', 'Growth', 'Data', 'Search', 'Identity', 'Payments', 'Support', 'Infra'];

export function randomProject(random: Random, id: string, index: number): StoredProject {
  const word = random.pick(PROJECT_WORDS);
  const key = `${word.slice(0, 3).toUpperCase()}${index === 0 ? '' : index}`;
  return { id, key, name: `${word} ${index + 1}`, projectTypeKey: random.pick(['software', 'business'] as const), isPrivate: random.chance(0.2) };
}

export { jiraTime };
