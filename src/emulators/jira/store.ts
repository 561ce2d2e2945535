/** The emulator's Jira site: projects, users and issues, with Jira's validation of issue writes. */

import { EmulatorError } from '../kit/http-emulator.ts';
import type { Random } from '../kit/random.ts';
import type { Searchable } from './jql.ts';
import {
  ISSUE_TYPES,
  PRIORITIES,
  randomDescription,
  randomLabels,
  randomSummary,
  renderIssue,
  renderProject,
  renderUser,
  type IssueContext,
  type Json,
  type StoredIssue,
  type StoredProject,
  type StoredUser,
} from './objects.ts';

export const JIRA_COLLECTIONS = ['issue', 'project', 'user'] as const;
export type JiraCollection = (typeof JIRA_COLLECTIONS)[number];

/** One change of the site, as its webhooks report it (`issue` and `before` are copies taken at the change). */
export type JiraChange =
  | { kind: 'issue'; event: 'created' | 'updated' | 'deleted'; issue: StoredIssue; before: StoredIssue | null }
  | { kind: 'project'; event: 'updated'; project: StoredProject }
  | { kind: 'user'; event: 'updated'; user: StoredUser };

/** Jira's error collection body. */
export function jiraError(status: number, errorMessages: string[], errors: Record<string, string> = {}): EmulatorError {
  return new EmulatorError({ status, body: { errorMessages, errors } });
}

export const issueNotFound = (): EmulatorError => jiraError(404, ['Issue does not exist or you do not have permission to see it.']);

/** Fields PUT /issue/{id} may set (the rest are not on the edit screen, or need a transition). */
const EDITABLE = new Set(['summary', 'description', 'labels', 'priority', 'assignee', 'duedate']);
const CREATABLE = new Set([...EDITABLE, 'project', 'issuetype', 'reporter']);

export class JiraStore {
  readonly projects = new Map<string, StoredProject>();
  readonly users = new Map<string, StoredUser>();
  readonly issues = new Map<number, StoredIssue>();
  /** Deleted issues as they were last (a webhook of a deletion still shows the issue). */
  readonly deletedIssues = new Map<number, StoredIssue>();
  /** The site's address as clients reach it (for `self` links); set once the emulator listens. */
  base = 'http://127.0.0.1';
  private nextIssueId = 10001;
  private nextProjectId = 10000;
  private readonly counters = new Map<string, number>();
  private lastWrite = 0;
  private readonly listeners: ((change: JiraChange) => void)[] = [];

  constructor(private readonly random: Random) {}

  /** Calls `listener` on every change made from now on (API writes and random mutations). */
  onChange(listener: (change: JiraChange) => void): void {
    this.listeners.push(listener);
  }

  /** Reports a change made to the store (the mutator changes objects in place, then tells). */
  changed(change: JiraChange): void {
    for (const listener of this.listeners) listener(change);
  }

  issueUpdated(issue: StoredIssue, before: StoredIssue): void {
    this.changed({ kind: 'issue', event: 'updated', issue: { ...issue, labels: [...issue.labels] }, before });
  }

  removeIssue(issue: StoredIssue): void {
    this.issues.delete(issue.id);
    this.deletedIssues.set(issue.id, { ...issue, labels: [...issue.labels] });
    this.changed({ kind: 'issue', event: 'deleted', issue: { ...issue, labels: [...issue.labels] }, before: null });
  }

  private ctx(): IssueContext {
    return { base: this.base, project: (id) => this.projects.get(id), user: (id) => this.users.get(id) };
  }

  /** A write time after every earlier one (so `updated` always moves). */
  stamp(at = Date.now()): number {
    this.lastWrite = Math.max(at, this.lastWrite + 1);
    return this.lastWrite;
  }

  newProjectId(): string {
    return String(this.nextProjectId++);
  }

  addProject(project: StoredProject): void {
    this.projects.set(project.id, project);
  }

  addUser(user: StoredUser): void {
    this.users.set(user.accountId, user);
  }

  renderProject(p: StoredProject): Json {
    return renderProject(this.base, p);
  }

  renderUser(u: StoredUser): Json {
    return renderUser(this.base, u);
  }

  renderIssue(issue: StoredIssue, fields: string[] | null = null): Json {
    return renderIssue(this.ctx(), issue, fields);
  }

  searchable(issue: StoredIssue): Searchable {
    const project = this.projects.get(issue.projectId);
    return { id: issue.id, key: issue.key, projectKey: project?.key ?? '', projectId: issue.projectId, projectName: project?.name ?? '', createdMs: issue.createdMs, updatedMs: issue.updatedMs };
  }

  /** `idOrKey` as the API's path takes it. */
  issue(idOrKey: string): StoredIssue {
    const found = /^\d+$/.test(idOrKey) ? this.issues.get(Number(idOrKey)) : [...this.issues.values()].find((i) => i.key.toLowerCase() === idOrKey.toLowerCase());
    if (!found) throw issueNotFound();
    return found;
  }

  /** A random issue in a random project, for seeding and random mutations. */
  createRandomIssue(at: number): StoredIssue {
    const projects = [...this.projects.values()];
    const users = [...this.users.values()];
    const project = this.random.pick(projects);
    const issue = this.insert(project, {
      summary: randomSummary(this.random),
      description: randomDescription(this.random),
      statusId: '10000',
      issueTypeId: this.random.pick(ISSUE_TYPES).id,
      priorityId: this.random.pick(PRIORITIES).id,
      labels: randomLabels(this.random),
      assigneeId: users.length > 0 && this.random.chance(0.7) ? this.random.pick(users).accountId : null,
      reporterId: users.length > 0 ? this.random.pick(users).accountId : '',
      duedate: null,
      createdMs: at,
      updatedMs: at,
    });
    return issue;
  }

  private insert(project: StoredProject, rest: Omit<StoredIssue, 'id' | 'key' | 'projectId'>): StoredIssue {
    const number = (this.counters.get(project.id) ?? 0) + 1;
    this.counters.set(project.id, number);
    const issue: StoredIssue = { id: this.nextIssueId++, key: `${project.key}-${number}`, projectId: project.id, ...rest };
    this.issues.set(issue.id, issue);
    this.changed({ kind: 'issue', event: 'created', issue: { ...issue, labels: [...issue.labels] }, before: null });
    return issue;
  }

  /** POST /rest/api/3/issue `{fields}`: validated as Jira does, answered `{id, key, self}`. */
  createIssue(body: Json, reporterId: string): StoredIssue {
    const fields = fieldsOf(body);
    const errors: Record<string, string> = {};
    for (const name of Object.keys(fields)) if (!CREATABLE.has(name)) errors[name] = `Field '${name}' cannot be set. It is not on the appropriate screen, or unknown.`;
    const project = this.projectOf(fields.project);
    if (!project) errors.project = fields.project === undefined ? 'Specify a valid project ID or key' : 'valid project is required';
    const issueType = issueTypeOf(fields.issuetype);
    if (!issueType) errors.issuetype = fields.issuetype === undefined ? 'Specify an issue type' : 'The issue type selected is invalid.';
    if (typeof fields.summary !== 'string' || fields.summary.trim() === '') errors.summary = 'You must specify a summary of the issue.';
    const edits = this.edits(fields, errors);
    if (Object.keys(errors).length > 0 || !project || !issueType) throw jiraError(400, [], errors);
    const at = this.stamp();
    return this.insert(project, {
      summary: String(fields.summary),
      description: null,
      statusId: '10000',
      issueTypeId: issueType,
      priorityId: '3',
      labels: [],
      assigneeId: null,
      reporterId,
      duedate: null,
      createdMs: at,
      updatedMs: at,
      ...edits,
    });
  }

  /** PUT /rest/api/3/issue/{id} `{fields}`. */
  updateIssue(idOrKey: string, body: Json): StoredIssue {
    const issue = this.issue(idOrKey);
    const fields = fieldsOf(body);
    const errors: Record<string, string> = {};
    for (const name of Object.keys(fields)) if (!EDITABLE.has(name)) errors[name] = `Field '${name}' cannot be set. It is not on the appropriate screen, or unknown.`;
    if ('summary' in fields && (typeof fields.summary !== 'string' || fields.summary.trim() === '')) errors.summary = 'You must specify a summary of the issue.';
    const edits = this.edits(fields, errors);
    if (Object.keys(errors).length > 0) throw jiraError(400, [], errors);
    const before = { ...issue, labels: [...issue.labels] };
    Object.assign(issue, edits, { updatedMs: this.stamp() });
    this.issueUpdated(issue, before);
    return issue;
  }

  deleteIssue(idOrKey: string): void {
    this.removeIssue(this.issue(idOrKey));
  }

  /** The editable fields of a write, checked; errors go into `errors`. */
  private edits(fields: Json, errors: Record<string, string>): Partial<StoredIssue> {
    const edits: Partial<StoredIssue> = {};
    if (typeof fields.summary === 'string') edits.summary = fields.summary;
    if ('description' in fields) {
      const d = fields.description;
      if (d === null || (isObject(d) && d.type === 'doc' && Array.isArray(d.content))) edits.description = d as Json | null;
      else errors.description = 'Operation value must be an Atlassian Document (see the Atlassian Document Format).';
    }
    if ('labels' in fields) {
      const labels = fields.labels;
      if (Array.isArray(labels) && labels.every((l) => typeof l === 'string' && !/\s/.test(l))) edits.labels = labels as string[];
      else errors.labels = 'The label must not contain spaces.';
    }
    if ('priority' in fields) {
      const ref = fields.priority;
      const p = isObject(ref) ? PRIORITIES.find((x) => x.id === ref.id || x.name === ref.name) : undefined;
      if (p) edits.priorityId = p.id;
      else errors.priority = 'Specify the Priority (id or name) in the field.';
    }
    if ('assignee' in fields) {
      const a = fields.assignee;
      if (a === null) edits.assigneeId = null;
      else if (isObject(a) && typeof a.accountId === 'string' && this.users.has(a.accountId)) edits.assigneeId = a.accountId;
      else errors.assignee = 'Specify a valid value for assignee';
    }
    if ('duedate' in fields) {
      const due = fields.duedate;
      if (due === null || (typeof due === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(due))) edits.duedate = due;
      else errors.duedate = 'Error parsing date string: ' + String(due);
    }
    return edits;
  }

  private projectOf(ref: unknown): StoredProject | undefined {
    if (!isObject(ref)) return undefined;
    return [...this.projects.values()].find((p) => (typeof ref.id === 'string' && p.id === ref.id) || (typeof ref.key === 'string' && p.key === ref.key));
  }
}

function isObject(value: unknown): value is Json {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function fieldsOf(body: Json): Json {
  if (!isObject(body.fields)) throw jiraError(400, ['Can not deserialize instance of com.atlassian.jira.rest.v2.issue.IssueUpdateBean: "fields" must be an object.']);
  return body.fields;
}

function issueTypeOf(ref: unknown): string | undefined {
  if (!isObject(ref)) return undefined;
  return ISSUE_TYPES.find((t) => t.id === ref.id || t.name === ref.name)?.id;
}
