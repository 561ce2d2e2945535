/**
 * The SOQL subset the emulator answers: `SELECT f, … FROM Object [WHERE c AND c …]
 * [ORDER BY f [ASC|DESC] [NULLS FIRST|LAST], …] [LIMIT n]` where a condition is
 * `field (=|!=|<>|<|<=|>|>=) literal` or `field IN (literal, …)`, and a literal is a quoted
 * string, a number, true/false/null, a date (`2024-11-10`) or a datetime (`2024-11-10T18:38:00Z`).
 * Anything else is a MALFORMED_QUERY, as Salesforce answers a query it cannot parse.
 */

import { EmulatorError } from '../kit/http-emulator.ts';
import { parseSfDateTime } from './ids.ts';
import { fieldDef, sobjectDef, type FieldDef, type SObjectDef } from './schema.ts';
import { sfError } from './wire-errors.ts';

export type Literal = { kind: 'string'; value: string } | { kind: 'number'; value: number } | { kind: 'boolean'; value: boolean } | { kind: 'null' } | { kind: 'date'; value: string } | { kind: 'datetime'; value: number };

export type Operator = '=' | '!=' | '<' | '<=' | '>' | '>=';

export type Condition = { field: string; op: Operator; value: Literal } | { field: string; op: 'IN'; values: Literal[] };

export interface Query {
  fields: string[];
  from: string;
  where: Condition[];
  orderBy: Array<{ field: string; descending: boolean; nullsLast: boolean }>;
  limit: number | null;
}

type Token = { type: 'word' | 'string' | 'number' | 'date' | 'datetime' | 'op' | 'punct'; text: string };

const malformed = (soql: string, message: string): EmulatorError => new EmulatorError(sfError(400, 'MALFORMED_QUERY', `\n${soql}\n${message}`));

function tokenize(soql: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < soql.length) {
    const rest = soql.slice(i);
    const space = /^\s+/.exec(rest);
    if (space) {
      i += space[0].length;
      continue;
    }
    const datetime = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,3})?(?:Z|[+-]\d{2}:?\d{2})/.exec(rest);
    const date = /^\d{4}-\d{2}-\d{2}(?![\dT])/.exec(rest);
    const number = /^-?\d+(?:\.\d+)?(?![\w-])/.exec(rest);
    const word = /^[A-Za-z_][A-Za-z0-9_.]*/.exec(rest);
    const op = /^(?:!=|<>|<=|>=|=|<|>)/.exec(rest);
    const match = (type: Token['type'], m: RegExpExecArray | null, text?: string): boolean => {
      if (!m) return false;
      tokens.push({ type, text: text ?? m[0] });
      i += m[0].length;
      return true;
    };
    if (match('datetime', datetime) || match('date', date) || match('number', number) || match('word', word) || match('op', op, op?.[0] === '<>' ? '!=' : undefined)) continue;
    if (match('punct', /^[,()]/.exec(rest))) continue;
    if (rest[0] !== "'") throw malformed(soql, `unexpected character '${rest[0]}' at column ${i + 1}`);
    let value = '';
    let j = 1;
    for (; j < rest.length && rest[j] !== "'"; j++) {
      if (rest[j] === '\\' && j + 1 < rest.length) j++;
      value += rest[j];
    }
    if (j >= rest.length) throw malformed(soql, 'unterminated string literal');
    tokens.push({ type: 'string', text: value });
    i += j + 1;
  }
  return tokens;
}

export function parseSoql(soql: string): Query {
  const tokens = tokenize(soql);
  let at = 0;
  const peek = (): Token | undefined => tokens[at];
  const isKeyword = (word: string): boolean => peek()?.type === 'word' && peek()!.text.toUpperCase() === word;
  const expectKeyword = (word: string): void => {
    if (!isKeyword(word)) throw malformed(soql, `unexpected token: '${peek()?.text ?? '<end>'}', expected ${word}`);
    at++;
  };
  const identifier = (): string => {
    const t = peek();
    if (t?.type !== 'word') throw malformed(soql, `unexpected token: '${t?.text ?? '<end>'}'`);
    at++;
    return t.text;
  };
  const punct = (text: string): boolean => {
    if (peek()?.type === 'punct' && peek()!.text === text) {
      at++;
      return true;
    }
    return false;
  };
  const literal = (): Literal => {
    const t = peek();
    if (!t) throw malformed(soql, 'unexpected end of query');
    at++;
    switch (t.type) {
      case 'string':
        return { kind: 'string', value: t.text };
      case 'number':
        return { kind: 'number', value: Number(t.text) };
      case 'date':
        return { kind: 'date', value: t.text };
      case 'datetime': {
        const ms = parseSfDateTime(t.text);
        if (ms === null) throw malformed(soql, `invalid datetime ${t.text}`);
        return { kind: 'datetime', value: ms };
      }
      case 'word': {
        const upper = t.text.toUpperCase();
        if (upper === 'TRUE' || upper === 'FALSE') return { kind: 'boolean', value: upper === 'TRUE' };
        if (upper === 'NULL') return { kind: 'null' };
        break;
      }
    }
    throw malformed(soql, `unexpected token: '${t.text}'`);
  };

  expectKeyword('SELECT');
  const fields = [identifier()];
  while (punct(',')) fields.push(identifier());
  expectKeyword('FROM');
  const from = identifier();
  const where: Condition[] = [];
  if (isKeyword('WHERE')) {
    at++;
    do {
      const field = identifier();
      if (isKeyword('IN')) {
        at++;
        if (!punct('(')) throw malformed(soql, "expected '(' after IN");
        const values = [literal()];
        while (punct(',')) values.push(literal());
        if (!punct(')')) throw malformed(soql, "expected ')'");
        where.push({ field, op: 'IN', values });
      } else {
        const op = peek();
        if (op?.type !== 'op') throw malformed(soql, `unexpected token: '${op?.text ?? '<end>'}', expected an operator`);
        at++;
        where.push({ field, op: op.text as Operator, value: literal() });
      }
    } while (isKeyword('AND') && ++at);
  }
  const orderBy: Query['orderBy'] = [];
  if (isKeyword('ORDER')) {
    at++;
    expectKeyword('BY');
    do {
      const field = identifier();
      let descending = false;
      if (isKeyword('ASC')) at++;
      else if (isKeyword('DESC')) {
        at++;
        descending = true;
      }
      let nullsLast = descending;
      if (isKeyword('NULLS')) {
        at++;
        if (isKeyword('FIRST')) nullsLast = false;
        else if (isKeyword('LAST')) nullsLast = true;
        else throw malformed(soql, 'expected FIRST or LAST after NULLS');
        at++;
      }
      orderBy.push({ field, descending, nullsLast });
    } while (punct(','));
  }
  let limit: number | null = null;
  if (isKeyword('LIMIT')) {
    at++;
    const t = peek();
    if (t?.type !== 'number' || !/^\d+$/.test(t.text)) throw malformed(soql, 'LIMIT needs a whole number');
    at++;
    limit = Number(t.text);
  }
  if (at < tokens.length) throw malformed(soql, `unexpected token: '${(tokens[at] as Token).text}'`);
  return { fields, from, where, orderBy, limit };
}

/** A query checked against the schema: the object, and its fields by their API names. */
export interface BoundQuery {
  sobject: SObjectDef;
  fields: string[];
  matches(record: Record<string, unknown>): boolean;
  compare(a: Record<string, unknown>, b: Record<string, unknown>): number;
  limit: number | null;
}

export function bindQuery(query: Query, lookup: (name: string) => SObjectDef | undefined = sobjectDef): BoundQuery {
  const sobject = lookup(query.from);
  if (!sobject) throw new EmulatorError(sfError(400, 'INVALID_TYPE', `\nsObject type '${query.from}' is not supported. If you are attempting to use a custom object, be sure to append the '__c' after the entity name.`));
  const field = (name: string): FieldDef => {
    const def = fieldDef(sobject, name);
    if (!def) throw new EmulatorError(sfError(400, 'INVALID_FIELD', `\nNo such column '${name}' on entity '${sobject.name}'. If you are attempting to use a custom field, be sure to append the '__c' after the custom field name.`));
    return def;
  };
  const fields = query.fields.map((f) => field(f).name);
  const duplicate = fields.find((f, i) => fields.indexOf(f) !== i);
  if (duplicate) throw new EmulatorError(sfError(400, 'INVALID_FIELD', `duplicate field selected: ${duplicate}`));
  const conditions = query.where.map((c) => {
    const def = field(c.field);
    const values = c.op === 'IN' ? c.values : [c.value];
    for (const v of values) checkLiteral(def, v);
    return { def, condition: c };
  });
  const order = query.orderBy.map((o) => ({ def: field(o.field), descending: o.descending, nullsLast: o.nullsLast }));
  return {
    sobject,
    fields,
    limit: query.limit,
    matches: (record) =>
      conditions.every(({ def, condition }) => {
        const value = comparable(def, record[def.name]);
        if (condition.op === 'IN') return condition.values.some((v) => value !== null && value === literalValue(def, v));
        const literal = literalValue(def, condition.value);
        if (condition.op === '=') return value === literal;
        if (condition.op === '!=') return value !== literal;
        if (value === null || literal === null) return false;
        const c = value < literal ? -1 : value > literal ? 1 : 0;
        return condition.op === '<' ? c < 0 : condition.op === '<=' ? c <= 0 : condition.op === '>' ? c > 0 : c >= 0;
      }),
    compare: (a, b) => {
      for (const o of order) {
        const x = comparable(o.def, a[o.def.name]);
        const y = comparable(o.def, b[o.def.name]);
        if (x === y) continue;
        if (x === null || y === null) return (x === null) === o.nullsLast ? 1 : -1;
        const c = x < y ? -1 : 1;
        return o.descending ? -c : c;
      }
      return 0;
    },
  };
}

const isDateTime = (f: FieldDef): boolean => f.type === 'datetime';

function checkLiteral(field: FieldDef, literal: Literal): void {
  if (literal.kind === 'null') return;
  const fits = isDateTime(field)
    ? literal.kind === 'datetime'
    : field.type === 'date'
      ? literal.kind === 'date'
      : field.type === 'boolean'
        ? literal.kind === 'boolean'
        : ['double', 'currency', 'percent', 'int'].includes(field.type)
          ? literal.kind === 'number'
          : literal.kind === 'string';
  if (!fits) {
    const expected = isDateTime(field) ? 'dateTime and should not be enclosed in quotes' : field.type;
    throw new EmulatorError(sfError(400, 'INVALID_QUERY_FILTER_OPERATOR', `\nvalue of filter criterion for field '${field.name}' must be of type ${expected}`));
  }
}

/** A field value in a form `<`/`===` compare the way SOQL does (datetimes as ms, ids case-sensitive). */
function comparable(field: FieldDef, value: unknown): string | number | boolean | null {
  if (value === null || value === undefined) return null;
  if (isDateTime(field)) return typeof value === 'string' ? parseSfDateTime(value) : null;
  if (typeof value === 'string' && (field.type === 'id' || field.type === 'reference')) return value.length === 15 ? value : value.slice(0, 15);
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' ? value : null;
}

function literalValue(field: FieldDef, literal: Literal): string | number | boolean | null {
  if (literal.kind === 'null') return null;
  if (literal.kind === 'string' && (field.type === 'id' || field.type === 'reference')) return literal.value.slice(0, 15);
  return literal.value;
}
