/**
 * The subset of JQL the emulator answers: clauses joined by AND over `created`, `updated`
 * (dates in the searching user's time zone), `project`, `key` / `issuekey` / `id`, with `=`, `!=`,
 * `<`, `<=`, `>`, `>=`, `in`, `not in`, then `ORDER BY field [ASC|DESC], …`. Anything else is a
 * JqlError (the wire format answers 400 with Jira's errorMessages).
 */

import { parseJqlDate } from './time.ts';

export class JqlError extends Error {}

type Operator = '=' | '!=' | '<' | '<=' | '>' | '>=' | 'in' | 'not in';

export interface Clause {
  field: 'created' | 'updated' | 'project' | 'key';
  operator: Operator;
  values: string[];
}

export interface SortKey {
  field: 'created' | 'updated' | 'key' | 'id';
  descending: boolean;
}

export interface Jql {
  clauses: Clause[];
  orderBy: SortKey[];
}

type Token = { kind: 'word' | 'string' | 'op' | 'punct'; text: string };

const FIELD_ALIASES: Record<string, Clause['field']> = { created: 'created', createddate: 'created', updated: 'updated', updateddate: 'updated', project: 'project', key: 'key', issuekey: 'key', id: 'key', issue: 'key' };
const SORT_ALIASES: Record<string, SortKey['field']> = { created: 'created', createddate: 'created', updated: 'updated', updateddate: 'updated', key: 'key', issuekey: 'key', id: 'id' };

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i] as string;
    if (/\s/.test(c)) {
      i++;
    } else if (c === '"' || c === "'") {
      let value = '';
      i++;
      while (i < text.length && text[i] !== c) {
        if (text[i] === '\\' && i + 1 < text.length) i++;
        value += text[i];
        i++;
      }
      if (i >= text.length) throw new JqlError(`Error in the JQL Query: The quoted string '${value}' has not been completed.`);
      i++;
      tokens.push({ kind: 'string', text: value });
    } else if (c === '(' || c === ')' || c === ',') {
      tokens.push({ kind: 'punct', text: c });
      i++;
    } else if ('=!<>~'.includes(c)) {
      const two = text.slice(i, i + 2);
      const op = ['!=', '<=', '>=', '!~'].includes(two) ? two : c;
      tokens.push({ kind: 'op', text: op });
      i += op.length;
    } else {
      const match = /^[^\s"'(),=!<>~]+/.exec(text.slice(i));
      if (!match) throw new JqlError(`Error in the JQL Query: The character '${c}' is a reserved JQL character.`);
      tokens.push({ kind: 'word', text: match[0] });
      i += match[0].length;
    }
  }
  return tokens;
}

class Parser {
  private at = 0;
  constructor(private readonly tokens: Token[]) {}

  private peek(): Token | undefined {
    return this.tokens[this.at];
  }

  private next(what: string): Token {
    const token = this.tokens[this.at++];
    if (!token) throw new JqlError(`Error in the JQL Query: Expecting ${what} but reached the end of the query.`);
    return token;
  }

  private isWord(token: Token | undefined, word: string): boolean {
    return token?.kind === 'word' && token.text.toLowerCase() === word;
  }

  parse(): Jql {
    const clauses: Clause[] = [];
    while (this.peek() && !this.isWord(this.peek(), 'order')) {
      if (clauses.length > 0) {
        const joiner = this.next("'AND'");
        if (!this.isWord(joiner, 'and')) throw new JqlError(`Error in the JQL Query: Expecting 'AND' but got '${joiner.text}'. (the emulator supports AND only)`);
      }
      clauses.push(this.clause());
    }
    const orderBy: SortKey[] = [];
    if (this.isWord(this.peek(), 'order')) {
      this.at++;
      if (!this.isWord(this.next("'BY'"), 'by')) throw new JqlError("Error in the JQL Query: Expecting 'BY' after 'ORDER'.");
      do {
        const field = this.next('a field name');
        const sortField = SORT_ALIASES[field.text.toLowerCase()];
        if (!sortField) throw new JqlError(`Not able to sort using field '${field.text}'.`);
        let descending = false;
        if (this.isWord(this.peek(), 'asc') || this.isWord(this.peek(), 'desc')) descending = this.next('ASC or DESC').text.toLowerCase() === 'desc';
        orderBy.push({ field: sortField, descending });
      } while (this.peek()?.text === ',' && this.at++ >= 0);
    }
    const rest = this.peek();
    if (rest) throw new JqlError(`Error in the JQL Query: Expecting end of the query but got '${rest.text}'.`);
    return { clauses, orderBy };
  }

  private clause(): Clause {
    const name = this.next('a field name');
    if (name.kind !== 'word' && name.kind !== 'string') throw new JqlError(`Error in the JQL Query: Expecting a field name but got '${name.text}'.`);
    const field = FIELD_ALIASES[name.text.toLowerCase()];
    if (!field) throw new JqlError(`Field '${name.text}' does not exist or you do not have permission to view it.`);
    let operator: Operator;
    const op = this.next('an operator');
    if (op.kind === 'op' && ['=', '!=', '<', '<=', '>', '>='].includes(op.text)) operator = op.text as Operator;
    else if (this.isWord(op, 'in')) operator = 'in';
    else if (this.isWord(op, 'not') && this.isWord(this.peek(), 'in')) {
      this.at++;
      operator = 'not in';
    } else throw new JqlError(`Error in the JQL Query: The operator '${op.text}' is not supported by the emulator for field '${name.text}'.`);
    const values: string[] = [];
    if (operator === 'in' || operator === 'not in') {
      if (this.next("'('").text !== '(') throw new JqlError("Error in the JQL Query: Expecting '(' after IN.");
      for (;;) {
        values.push(this.value());
        const sep = this.next("')'");
        if (sep.text === ')') break;
        if (sep.text !== ',') throw new JqlError(`Error in the JQL Query: Expecting ',' or ')' but got '${sep.text}'.`);
      }
    } else values.push(this.value());
    return { field, operator, values };
  }

  private value(): string {
    const token = this.next('a value');
    if (token.kind !== 'word' && token.kind !== 'string') throw new JqlError(`Error in the JQL Query: Expecting a value but got '${token.text}'.`);
    return token.text;
  }
}

export function parseJql(text: string): Jql {
  return new Parser(tokenize(text)).parse();
}

/** What a clause compares against: an issue's times, project and identity. */
export interface Searchable {
  id: number;
  key: string;
  projectKey: string;
  projectId: string;
  projectName: string;
  createdMs: number;
  updatedMs: number;
}

/** The issues `jql` selects, sorted; `timeZone` reads its dates. */
export function compileJql(jql: Jql, timeZone: string, now: number): { matches(issue: Searchable): boolean; compare(a: Searchable, b: Searchable): number } {
  const checks = jql.clauses.map((clause) => compileClause(clause, timeZone, now));
  const orderBy = jql.orderBy.length > 0 ? jql.orderBy : [{ field: 'key', descending: true } satisfies SortKey];
  return {
    matches: (issue) => checks.every((check) => check(issue)),
    compare: (a, b) => {
      for (const { field, descending } of orderBy) {
        const d = sortValue(field, a, b);
        if (d !== 0) return descending ? -d : d;
      }
      return a.id - b.id;
    },
  };
}

function sortValue(field: SortKey['field'], a: Searchable, b: Searchable): number {
  switch (field) {
    case 'created':
      return a.createdMs - b.createdMs;
    case 'updated':
      return a.updatedMs - b.updatedMs;
    case 'id':
      return a.id - b.id;
    case 'key':
      return a.projectKey < b.projectKey ? -1 : a.projectKey > b.projectKey ? 1 : keyNumber(a.key) - keyNumber(b.key);
  }
}

const keyNumber = (key: string): number => Number(key.slice(key.lastIndexOf('-') + 1));

function compileClause(clause: Clause, timeZone: string, now: number): (issue: Searchable) => boolean {
  const { field, operator, values } = clause;
  if (field === 'created' || field === 'updated') {
    if (operator === 'in' || operator === 'not in') throw new JqlError(`The operator '${operator.toUpperCase()}' is not supported by the '${field}' field.`);
    const at = values[0] === undefined ? null : parseJqlDate(values[0], timeZone, now);
    if (at === null) {
      throw new JqlError(
        `Date value '${values[0] ?? ''}' for field '${field}' is invalid. Valid formats include: 'yyyy/MM/dd HH:mm', 'yyyy-MM-dd HH:mm', 'yyyy/MM/dd', 'yyyy-MM-dd', or a period format e.g. '-5d', '4w 2d'.`,
      );
    }
    const of = (issue: Searchable): number => (field === 'created' ? issue.createdMs : issue.updatedMs);
    return (issue) => compareWith(operator, of(issue) - at);
  }
  if (field === 'project') {
    const wanted = values.map((v) => v.toLowerCase());
    const hit = (issue: Searchable): boolean => wanted.some((v) => v === issue.projectKey.toLowerCase() || v === issue.projectId || v === issue.projectName.toLowerCase());
    if (operator === '=' || operator === 'in') return hit;
    if (operator === '!=' || operator === 'not in') return (issue) => !hit(issue);
    throw new JqlError(`The operator '${operator}' is not supported by the 'project' field.`);
  }
  // key / issuekey / id: a numeric id or a key.
  const matchesValue = (issue: Searchable, value: string): boolean => (/^\d+$/.test(value) ? issue.id === Number(value) : issue.key.toLowerCase() === value.toLowerCase());
  if (operator === '=' || operator === 'in') return (issue) => values.some((v) => matchesValue(issue, v));
  if (operator === '!=' || operator === 'not in') return (issue) => !values.some((v) => matchesValue(issue, v));
  const value = values[0] as string;
  if (!/^\d+$/.test(value)) throw new JqlError(`The emulator compares '${clause.field}' with '${operator}' against numeric ids only.`);
  return (issue) => compareWith(operator, issue.id - Number(value));
}

function compareWith(operator: Operator, difference: number): boolean {
  switch (operator) {
    case '=':
      return difference === 0;
    case '!=':
      return difference !== 0;
    case '<':
      return difference < 0;
    case '<=':
      return difference <= 0;
    case '>':
      return difference > 0;
    case '>=':
      return difference >= 0;
    default:
      return false;
  }
}
