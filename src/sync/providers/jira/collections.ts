import type { CollectionSpec } from '../provider.ts';

export type JiraCollectionId = 'jira:issue' | 'jira:project' | 'jira:user';

export const jiraCollections: CollectionSpec[] = [
  { id: 'jira:issue', name: 'Issues', mutations: ['create', 'update', 'delete'] },
  // Projects and users are read-only here: writing them needs admin scopes a sync token should not have.
  { id: 'jira:project', name: 'Projects', mutations: [] },
  { id: 'jira:user', name: 'Users', mutations: [] },
];

export function jiraCollection(id: string): JiraCollectionId {
  if (id === 'jira:issue' || id === 'jira:project' || id === 'jira:user') return id;
  throw new Error(`unknown Jira collection ${id}`);
}
