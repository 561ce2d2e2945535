/**
 * Decoding of Stripe's `application/x-www-form-urlencoded` bodies and query strings with bracket
 * nesting: `metadata[plan]=pro`, `items[0][price]=price_…`, `expand[]=customer`.
 *
 * Every leaf is a string; nested keys become objects. Array syntax (`a[]`, `a[0]`) also becomes an
 * object keyed by index ("0", "1", …): which parameters are arrays is decided by the endpoint, the
 * way Stripe's own parser does (see `asArray` in params.ts).
 */

export type FormValue = string | FormObject;
export interface FormObject {
  [key: string]: FormValue;
}

export function emptyForm(): FormObject {
  return Object.create(null) as FormObject;
}

function decodeComponent(text: string): string {
  const spaced = text.replace(/\+/g, ' ');
  try {
    return decodeURIComponent(spaced);
  } catch {
    return spaced;
  }
}

/** `a[b][][c]` → ['a', 'b', '', 'c']; a key with unbalanced brackets is taken literally. */
export function splitKey(key: string): string[] {
  const open = key.indexOf('[');
  if (open <= 0) return [key];
  const parts = [key.slice(0, open)];
  let rest = key.slice(open);
  while (rest.length > 0) {
    const match = /^\[([^\]]*)\]/.exec(rest);
    if (!match) return [key];
    parts.push(match[1] ?? '');
    rest = rest.slice(match[0].length);
  }
  return parts;
}

export function decodeForm(text: string): FormObject {
  const root = emptyForm();
  if (text.length === 0) return root;
  for (const pair of text.split('&')) {
    if (pair.length === 0) continue;
    const eq = pair.indexOf('=');
    const rawKey = eq === -1 ? pair : pair.slice(0, eq);
    const rawValue = eq === -1 ? '' : pair.slice(eq + 1);
    const key = decodeComponent(rawKey);
    if (key.length === 0) continue;
    assign(root, splitKey(key), decodeComponent(rawValue));
  }
  return root;
}

function assign(root: FormObject, path: string[], value: string): void {
  let container = root;
  for (let i = 0; i < path.length; i++) {
    let segment = path[i] as string;
    if (segment === '') segment = nextIndex(container);
    if (i === path.length - 1) {
      container[segment] = value;
      return;
    }
    let child = container[segment];
    // `a[]` followed by more brackets (`a[][b]=1&a[][c]=2`) is rare; each `[]` opens a new element.
    if (typeof child !== 'object') {
      child = emptyForm();
      container[segment] = child;
    }
    container = child;
  }
}

function nextIndex(container: FormObject): string {
  let n = 0;
  while (String(n) in container) n++;
  return String(n);
}

/** Bracket-encode a form object again (used for list `url`s in nested objects and for tests). */
export function encodeForm(value: FormObject, prefix = ''): string {
  const parts: string[] = [];
  for (const [key, child] of Object.entries(value)) {
    const name = prefix ? `${prefix}[${key}]` : key;
    if (typeof child === 'string') parts.push(`${encodeURIComponent(name)}=${encodeURIComponent(child)}`);
    else parts.push(encodeForm(child, name));
  }
  return parts.filter((p) => p.length > 0).join('&');
}
