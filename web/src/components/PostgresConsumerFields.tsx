import { Field } from './ui.tsx';
import { fieldError, type ServerProblem } from './ServerError.tsx';
import type { PostgresConsumerInput } from '../graphql/operations.ts';

export interface PostgresFormValue {
  mode: 'url' | 'fields';
  url: string;
  host: string;
  port: number;
  database: string;
  user: string;
  password: string;
  ssl: boolean;
  table: string;
  createTable: boolean;
  deletes: 'mark' | 'delete';
}

export const initialPostgresForm: PostgresFormValue = {
  mode: 'url',
  url: '',
  host: '',
  port: 5432,
  database: '',
  user: '',
  password: '',
  ssl: false,
  table: 'public.syncline_records',
  createTable: true,
  deletes: 'mark',
};

export function postgresSettings(value: PostgresFormValue): Pick<PostgresConsumerInput, 'connection' | 'table' | 'createTable' | 'deletes'> {
  const connection =
    value.mode === 'url'
      ? { url: value.url.trim() }
      : { host: value.host.trim(), port: value.port, database: value.database.trim(), user: value.user.trim(), ssl: value.ssl, ...(value.password ? { password: value.password } : {}) };
  return { connection, table: value.table.trim(), createTable: value.createTable, deletes: value.deletes };
}

const CONNECTION_CODES = ['invalid_connection', 'egress_refused', 'target_unreachable', 'target_tls_failed', 'target_auth_failed', 'target_database_not_found'];
const TABLE_CODES = ['schema_not_found', 'table_not_found', 'table_mismatch', 'permission_denied'];

export function PostgresConsumerFields({ value, onChange, problems }: { value: PostgresFormValue; onChange: (next: PostgresFormValue) => void; problems: ServerProblem[] }) {
  const set = <K extends keyof PostgresFormValue>(key: K, next: PostgresFormValue[K]) => onChange({ ...value, [key]: next });
  return (
    <>
      <fieldset className="subfieldset">
        <legend>Target database</legend>
        <div className="radio-row">
          <label className="checkbox">
            <input type="radio" name="pg-connection" checked={value.mode === 'url'} onChange={() => set('mode', 'url')} /> With a connection URL
          </label>
          <label className="checkbox">
            <input type="radio" name="pg-connection" checked={value.mode === 'fields'} onChange={() => set('mode', 'fields')} /> With host, port, database and user
          </label>
        </div>
        {value.mode === 'url' ? (
          <Field label="Connection URL" hint="postgres://user:password@host:5432/database, optionally ?sslmode=require. The password is stored encrypted." error={fieldError(problems, 'connection', CONNECTION_CODES)}>
            {(id, describedBy, invalid) => (
              <input
                id={id}
                required
                autoComplete="off"
                spellCheck={false}
                placeholder="postgres://user:password@db.example.com:5432/analytics"
                aria-describedby={describedBy}
                aria-invalid={invalid || undefined}
                value={value.url}
                onChange={(e) => set('url', e.target.value)}
              />
            )}
          </Field>
        ) : (
          <>
            <div className="row">
              <Field label="Host" error={fieldError(problems, 'connection.host', CONNECTION_CODES)}>
                {(id, describedBy, invalid) => <input id={id} required aria-describedby={describedBy} aria-invalid={invalid || undefined} value={value.host} onChange={(e) => set('host', e.target.value)} />}
              </Field>
              <Field label="Port" error={fieldError(problems, 'connection.port')}>
                {(id, describedBy, invalid) => <input id={id} type="number" min={1} max={65535} aria-describedby={describedBy} aria-invalid={invalid || undefined} value={value.port} onChange={(e) => set('port', Number(e.target.value))} />}
              </Field>
              <Field label="Database" error={fieldError(problems, 'connection.database')}>
                {(id, describedBy, invalid) => <input id={id} required aria-describedby={describedBy} aria-invalid={invalid || undefined} value={value.database} onChange={(e) => set('database', e.target.value)} />}
              </Field>
            </div>
            <div className="row">
              <Field label="User" error={fieldError(problems, 'connection.user')}>
                {(id, describedBy, invalid) => <input id={id} required autoComplete="off" aria-describedby={describedBy} aria-invalid={invalid || undefined} value={value.user} onChange={(e) => set('user', e.target.value)} />}
              </Field>
              <Field label="Password (optional)" error={fieldError(problems, 'connection.password')}>
                {(id, describedBy, invalid) => <input id={id} type="password" autoComplete="new-password" aria-describedby={describedBy} aria-invalid={invalid || undefined} value={value.password} onChange={(e) => set('password', e.target.value)} />}
              </Field>
              <label className="checkbox">
                <input type="checkbox" checked={value.ssl} onChange={(e) => set('ssl', e.target.checked)} /> TLS (certificate checked against the host name)
              </label>
            </div>
          </>
        )}
      </fieldset>
      <div className="row">
        <Field label="Table" hint="schema.table: letters, digits and _; created when missing (below)." error={fieldError(problems, 'table', TABLE_CODES)}>
          {(id, describedBy, invalid) => (
            <input id={id} required spellCheck={false} aria-describedby={describedBy} aria-invalid={invalid || undefined} value={value.table} onChange={(e) => set('table', e.target.value)} />
          )}
        </Field>
        <Field label="Deleted records" hint="mark: the row stays with deleted = true; delete: the row is removed." error={fieldError(problems, 'deletes')}>
          {(id, describedBy, invalid) => (
            <select id={id} aria-describedby={describedBy} aria-invalid={invalid || undefined} value={value.deletes} onChange={(e) => set('deletes', e.target.value === 'delete' ? 'delete' : 'mark')}>
              <option value="mark">mark (deleted = true)</option>
              <option value="delete">delete the row</option>
            </select>
          )}
        </Field>
      </div>
      <label className="checkbox">
        <input type="checkbox" checked={value.createTable} onChange={(e) => set('createTable', e.target.checked)} /> Create the table when it is missing
      </label>
    </>
  );
}
