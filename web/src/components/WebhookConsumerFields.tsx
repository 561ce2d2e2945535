import { Field } from './ui.tsx';
import { fieldError, type ServerProblem } from './ServerError.tsx';

export interface WebhookFormValue {
  url: string;
  batchSize: number;
  headers: { name: string; value: string }[];
  maxDeliver: number;
  retryWindowHours: number;
  timeoutSeconds: number;
}

export const initialWebhookForm: WebhookFormValue = { url: '', batchSize: 1, headers: [], maxDeliver: -1, retryWindowHours: 24, timeoutSeconds: 30 };

/** The settings of `createWebhookConsumer` (rows without a name are left out). */
export function webhookSettings(value: WebhookFormValue) {
  const headers = value.headers.filter((h) => h.name.trim() !== '');
  return {
    url: value.url.trim(),
    batchSize: value.batchSize,
    maxDeliver: value.maxDeliver,
    retryWindowMs: Math.round(value.retryWindowHours * 3_600_000),
    timeoutMs: Math.round(value.timeoutSeconds * 1000),
    ...(headers.length > 0 ? { headers: Object.fromEntries(headers.map((h) => [h.name.trim(), h.value])) } : {}),
  };
}

const URL_CODES = ['invalid_url', 'unsupported_url_scheme', 'url_credentials', 'unresolvable_host', 'egress_refused', 'https_required'];
const HEADER_CODES = ['reserved_header', 'duplicate_header', 'headers_too_large'];

export function WebhookConsumerFields({ value, onChange, problems }: { value: WebhookFormValue; onChange: (next: WebhookFormValue) => void; problems: ServerProblem[] }) {
  const setHeader = (index: number, next: { name: string; value: string }) => onChange({ ...value, headers: value.headers.map((h, i) => (i === index ? next : h)) });
  return (
    <>
      <Field label="Endpoint URL" hint="https://, or http:// to a host on your own network. Each delivery is a signed POST of {&quot;data&quot;: [record, …]}." error={fieldError(problems, 'url', URL_CODES)}>
        {(id, describedBy, invalid) => (
          <input
            id={id}
            type="url"
            required
            inputMode="url"
            placeholder="https://hooks.example.com/syncline"
            aria-describedby={describedBy}
            aria-invalid={invalid || undefined}
            value={value.url}
            onChange={(e) => onChange({ ...value, url: e.target.value })}
          />
        )}
      </Field>
      <div className="row">
        <Field label="Batch size" hint="Records per POST, 1–1000." error={fieldError(problems, 'batchSize')}>
          {(id, describedBy, invalid) => (
            <input id={id} type="number" min={1} max={1000} aria-describedby={describedBy} aria-invalid={invalid || undefined} value={value.batchSize} onChange={(e) => onChange({ ...value, batchSize: Number(e.target.value) })} />
          )}
        </Field>
        <Field label="Max deliveries" hint="Attempts refused by the endpoint before a batch becomes dead letters; -1: no limit." error={fieldError(problems, 'maxDeliver')}>
          {(id, describedBy, invalid) => (
            <input id={id} type="number" min={-1} aria-describedby={describedBy} aria-invalid={invalid || undefined} value={value.maxDeliver} onChange={(e) => onChange({ ...value, maxDeliver: Number(e.target.value) })} />
          )}
        </Field>
        <Field label="Retry window (hours)" hint="From a batch's first failed attempt until its records become dead letters." error={fieldError(problems, 'retryWindowMs')}>
          {(id, describedBy, invalid) => (
            <input id={id} type="number" min={0.02} max={720} step="any" aria-describedby={describedBy} aria-invalid={invalid || undefined} value={value.retryWindowHours} onChange={(e) => onChange({ ...value, retryWindowHours: Number(e.target.value) })} />
          )}
        </Field>
        <Field label="Timeout (seconds)" hint="1–120 for the whole attempt." error={fieldError(problems, 'timeoutMs')}>
          {(id, describedBy, invalid) => (
            <input id={id} type="number" min={1} max={120} aria-describedby={describedBy} aria-invalid={invalid || undefined} value={value.timeoutSeconds} onChange={(e) => onChange({ ...value, timeoutSeconds: Number(e.target.value) })} />
          )}
        </Field>
      </div>
      <fieldset className="subfieldset">
        <legend>Headers (optional)</legend>
        <p className="hint">Sent with every delivery, e.g. authorization for your endpoint. Values are stored encrypted and shown only as hints.</p>
        {fieldError(problems, 'headers', HEADER_CODES) ? <p className="error-text field-error">{fieldError(problems, 'headers', HEADER_CODES)}</p> : null}
        <div className="header-rows">
          {value.headers.map((header, index) => (
            <div className="row" key={index}>
              <Field label={`Header ${index + 1} name`}>
                {(id) => <input id={id} autoComplete="off" placeholder="authorization" value={header.name} onChange={(e) => setHeader(index, { ...header, name: e.target.value })} />}
              </Field>
              <Field label={`Header ${index + 1} value`}>
                {(id) => <input id={id} type="password" autoComplete="off" value={header.value} onChange={(e) => setHeader(index, { ...header, value: e.target.value })} />}
              </Field>
              <button type="button" className="secondary small field-button" onClick={() => onChange({ ...value, headers: value.headers.filter((_, i) => i !== index) })}>
                Remove header {index + 1}
              </button>
            </div>
          ))}
        </div>
        <button type="button" className="secondary small" onClick={() => onChange({ ...value, headers: [...value.headers, { name: '', value: '' }] })}>
          Add header
        </button>
      </fieldset>
    </>
  );
}
