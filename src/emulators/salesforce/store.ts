import { EmulatorError } from '../kit/http-emulator.ts';
import { canonicalId, IdSequence, isIdOf, sfDateTime } from './ids.ts';
import { fieldDef, OPPORTUNITY_STAGES, SOBJECTS, type FieldDef, type SObjectDef } from './schema.ts';
import { sfError } from './wire-errors.ts';

/** The newest API version the emulator serves (Summer '26); every version from 20.0 up to it is answered alike. */
export const NEWEST_VERSION = 67;
export const API_PATH = `/services/data/v${NEWEST_VERSION}.0`;

export interface StoredRecord {
  sobject: SObjectDef;
  /** Every field, in describe order. */
  fields: Record<string, unknown>;
  /** Set once the record is in the recycle bin (queryAll still answers it). */
  deletedAt: number | null;
}

export interface DeletedLogEntry {
  id: string;
  sobject: string;
  deletedAt: number;
}

/** The org's data: records of the emulated sObjects, the delete log, and the clock writes use. */
export class OrgStore {
  private readonly records = new Map<string, StoredRecord>();
  readonly deletedLog: DeletedLogEntry[] = [];
  private readonly ids = new IdSequence('5g', 62 ** 6);
  /** This org's sObjects: the standard ones, with the fields its admin added or removed since. */
  private readonly schema: SObjectDef[] = SOBJECTS.map((s) => ({ ...s, fields: [...s.fields] }));
  /** When each sObject's metadata last changed (epoch ms): its describe answers 304 to an `If-Modified-Since` not before it. */
  private readonly metadataChangedAt = new Map<string, number>();
  private readonly startedAt: number;

  constructor(
    /** The user every write is made as (OwnerId, CreatedById, LastModifiedById). */
    readonly userId: string,
    private readonly clock: () => number = () => Date.now(),
  ) {
    this.startedAt = this.now();
  }

  /** An sObject of this org by API name (case-insensitive, as Salesforce matches them). */
  sobjectDef(name: string): SObjectDef | undefined {
    const lower = name.toLowerCase();
    return this.schema.find((s) => s.name.toLowerCase() === lower);
  }

  metadataModifiedAt(sobject: SObjectDef): number {
    return this.metadataChangedAt.get(sobject.name) ?? this.startedAt;
  }

  /** An admin adds a (custom) field: existing records have it empty. */
  addField(sobject: SObjectDef, field: FieldDef): void {
    if (fieldDef(sobject, field.name)) throw new Error(`${sobject.name} already has a field ${field.name}`);
    const audit = sobject.fields.findIndex((f) => f.name === 'OwnerId');
    sobject.fields = [...sobject.fields.slice(0, audit), field, ...sobject.fields.slice(audit)];
    this.metadataChangedAt.set(sobject.name, this.clock());
  }

  /** An admin deletes a field: queries naming it fail with INVALID_FIELD, records no longer carry it. */
  removeField(sobject: SObjectDef, name: string): void {
    const field = fieldDef(sobject, name);
    if (!field) throw new Error(`${sobject.name} has no field ${name}`);
    sobject.fields = sobject.fields.filter((f) => f !== field);
    for (const record of this.list(sobject, true)) delete record.fields[field.name];
    this.metadataChangedAt.set(sobject.name, this.clock());
  }

  now(): number {
    return Math.floor(this.clock() / 1000) * 1000;
  }

  /** Records of an sObject, in the recycle bin too when `includeDeleted`. */
  list(sobject: SObjectDef, includeDeleted: boolean): StoredRecord[] {
    return [...this.records.values()].filter((r) => r.sobject === sobject && (includeDeleted || r.deletedAt === null));
  }

  /** A live record, or the REST 404 Salesforce answers (deleted, or no such record). */
  get(sobject: SObjectDef, rawId: string): StoredRecord {
    const record = isIdOf(sobject.keyPrefix, rawId) ? this.records.get(canonicalId(rawId)) : undefined;
    if (!record || record.sobject !== sobject) throw new EmulatorError(sfError(404, 'NOT_FOUND', 'The requested resource does not exist'));
    if (record.deletedAt !== null) throw new EmulatorError(sfError(404, 'ENTITY_IS_DELETED', 'entity is deleted'));
    return record;
  }

  /** Creates a record from a field map as a REST create takes it; `at` backdates seeding. */
  create(sobject: SObjectDef, input: Record<string, unknown>, at = this.now()): StoredRecord {
    const values = checkWrite(sobject, input, 'create');
    const missing = sobject.fields.filter((f) => f.required && (values[f.name] === undefined || values[f.name] === null || values[f.name] === ''));
    if (missing.length > 0) {
      throw new EmulatorError(sfError(400, 'REQUIRED_FIELD_MISSING', `Required fields are missing: [${missing.map((f) => f.name).join(', ')}]`, missing.map((f) => f.name)));
    }
    const id = this.ids.issue(sobject.keyPrefix);
    const stamp = sfDateTime(at);
    const fields: Record<string, unknown> = {};
    for (const f of sobject.fields) fields[f.name] = values[f.name] ?? defaultValue(f);
    Object.assign(fields, { Id: id, IsDeleted: false, OwnerId: values.OwnerId ?? this.userId, CreatedDate: stamp, CreatedById: this.userId, LastModifiedDate: stamp, LastModifiedById: this.userId, SystemModstamp: stamp });
    derive(sobject, fields);
    const record: StoredRecord = { sobject, fields, deletedAt: null };
    this.records.set(id, record);
    return record;
  }

  update(sobject: SObjectDef, id: string, input: Record<string, unknown>, at = this.now()): StoredRecord {
    const record = this.get(sobject, id);
    const values = checkWrite(sobject, input, 'update');
    const cleared = sobject.fields.filter((f) => f.required && f.name in values && (values[f.name] === null || values[f.name] === ''));
    if (cleared.length > 0) {
      throw new EmulatorError(sfError(400, 'REQUIRED_FIELD_MISSING', `Required fields are missing: [${cleared.map((f) => f.name).join(', ')}]`, cleared.map((f) => f.name)));
    }
    Object.assign(record.fields, values);
    derive(sobject, record.fields);
    const stamp = sfDateTime(at);
    Object.assign(record.fields, { LastModifiedDate: stamp, LastModifiedById: this.userId, SystemModstamp: stamp });
    return record;
  }

  /** Moves a record to the recycle bin: IsDeleted, a new SystemModstamp, an entry in the delete log. */
  delete(sobject: SObjectDef, id: string, at = this.now()): StoredRecord {
    const record = this.get(sobject, id);
    record.deletedAt = at;
    Object.assign(record.fields, { IsDeleted: true, SystemModstamp: sfDateTime(at) });
    this.deletedLog.push({ id: record.fields.Id as string, sobject: sobject.name, deletedAt: at });
    return record;
  }

  /** The record as the REST API answers it (`attributes` first, then every field). */
  static view(record: StoredRecord, fields: readonly string[] | null = null): Record<string, unknown> {
    const id = record.fields.Id as string;
    const out: Record<string, unknown> = { attributes: { type: record.sobject.name, url: `${API_PATH}/sobjects/${record.sobject.name}/${id}` } };
    for (const name of fields ?? record.sobject.fields.map((f) => f.name)) out[name] = record.fields[name] ?? null;
    return JSON.parse(JSON.stringify(out)) as Record<string, unknown>;
  }

  sobjects(): readonly SObjectDef[] {
    return this.schema;
  }
}

function defaultValue(field: FieldDef): unknown {
  return field.type === 'boolean' ? false : null;
}

/** Field values Salesforce derives from others (names, opportunity stage facts). */
function derive(sobject: SObjectDef, fields: Record<string, unknown>): void {
  if (sobject.name === 'Contact' || sobject.name === 'Lead') {
    fields.Name = [fields.FirstName, fields.LastName].filter((p) => typeof p === 'string' && p !== '').join(' ');
  }
  if (sobject.name === 'Opportunity') {
    const stage = OPPORTUNITY_STAGES.find((s) => s.name === fields.StageName);
    if (stage) Object.assign(fields, { IsClosed: stage.closed, IsWon: stage.won, ForecastCategory: stage.forecast });
  }
  if (sobject.name === 'Lead') fields.IsConverted = fields.Status === 'Closed - Converted';
}

/** Validates a write's field map the way the REST API does; answers it keyed by the fields' API names. */
function checkWrite(sobject: SObjectDef, input: Record<string, unknown>, kind: 'create' | 'update'): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  const readOnly: string[] = [];
  for (const [name, value] of Object.entries(input)) {
    if (name === 'attributes') continue;
    const field = fieldDef(sobject, name);
    if (!field) throw new EmulatorError(sfError(400, 'INVALID_FIELD', `No such column '${name}' on sobject of type ${sobject.name}`));
    if (!field.writable) {
      readOnly.push(field.name);
      continue;
    }
    if (!fitsType(field, value)) {
      throw new EmulatorError(sfError(400, 'JSON_PARSER_ERROR', `Cannot deserialize instance of ${field.type} from ${JSON.stringify(value)} for field ${field.name}`, [field.name]));
    }
    if (field.picklist && field.type === 'picklist' && typeof value === 'string' && field.required && !field.picklist.includes(value)) {
      throw new EmulatorError(sfError(400, 'INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST', `${field.label}: bad value for restricted picklist field: ${value}`, [field.name]));
    }
    values[field.name] = value;
  }
  if (readOnly.length > 0) {
    throw new EmulatorError(sfError(400, 'INVALID_FIELD_FOR_INSERT_UPDATE', `Unable to ${kind} fields: ${readOnly.join(', ')}. Please check the security settings of this field and verify that it is read/write for your profile or permission set.`, readOnly));
  }
  return values;
}

function fitsType(field: FieldDef, value: unknown): boolean {
  if (value === null) return field.type !== 'boolean';
  switch (field.type) {
    case 'boolean':
      return typeof value === 'boolean';
    case 'double':
    case 'currency':
    case 'percent':
      return typeof value === 'number' && Number.isFinite(value);
    case 'int':
      return typeof value === 'number' && Number.isInteger(value);
    case 'date':
      return typeof value === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(value);
    case 'reference':
      return typeof value === 'string' && /^[0-9A-Za-z]{15}([0-9A-Za-z]{3})?$/.test(value);
    default:
      return typeof value === 'string';
  }
}
