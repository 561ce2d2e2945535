import { decodeGlobalID } from '@pothos/plugin-relay';
import { NotFoundError } from '../errors.ts';
import { isUuid } from '../ids.ts';

/** Arguments take either the REST uuid or the Relay global id of a node. */
export function rawId(id: string | number): string | null {
  const text = String(id);
  if (isUuid(text)) return text.toLowerCase();
  try {
    const decoded = decodeGlobalID(text).id;
    return isUuid(decoded) ? decoded.toLowerCase() : null;
  } catch {
    return null;
  }
}

export function requireId(id: string | number, resource: string): string {
  const raw = rawId(id);
  if (!raw) throw new NotFoundError(resource, String(id));
  return raw;
}

/** An id argument as a command takes it: the uuid it names, or the text as given for the command to refuse. */
export function idInput(id: string | number): string;
export function idInput(id: string | number | null | undefined): string | null | undefined;
export function idInput(id: string | number | null | undefined): string | null | undefined {
  return id == null ? id : (rawId(id) ?? String(id));
}
