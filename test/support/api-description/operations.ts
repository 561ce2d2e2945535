import { isObject, pointer, type ApiDocument, type JsonObject } from './document.ts';

export const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

export interface OperationMatch {
  /** e.g. `GET /v1/customers/{customer}` */
  name: string;
  method: string;
  template: string;
  operation: JsonObject;
  /** Where the parameters of the path item and of the operation are (JSON pointer fragments, `$ref`s not yet followed). */
  parameters: string[];
  /** Decoded values of the template's `{…}` segments. */
  pathParameters: Record<string, string>;
}

interface Template {
  template: string;
  pattern: RegExp;
  names: string[];
  /** Literal characters: a concrete path is matched by its most specific template (`/search` before `/{id}`). */
  literal: number;
  item: JsonObject;
}

/** Finds the described operation for a method and a concrete path. */
export class OperationIndex {
  private readonly templates: Template[];

  constructor(private readonly document: ApiDocument) {
    const paths = isObject(document.root.paths) ? document.root.paths : {};
    this.templates = Object.entries(paths)
      .filter((entry): entry is [string, JsonObject] => isObject(entry[1]))
      .map(([template, item]) => {
        const names: string[] = [];
        const source = template
          .split(/(\{[^}]+\})/)
          .map((part) => {
            const name = /^\{([^}]+)\}$/.exec(part)?.[1];
            if (name === undefined) return part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
            names.push(name);
            return '([^/]+)';
          })
          .join('');
        return { template, pattern: new RegExp(`^${source}/?$`), names, literal: template.replace(/\{[^}]+\}/g, '').length, item };
      })
      .sort((a, b) => b.literal - a.literal);
  }

  /** `path` as requested (the servers' base path and a gateway prefix are stripped here); null when no template matches. */
  find(method: string, path: string): OperationMatch | null | 'method not described' {
    const { basePath } = this.document;
    const relative = basePath && path.startsWith(basePath) ? path.slice(basePath.length) || '/' : path;
    let pathMatched = false;
    for (const candidate of this.templates) {
      const match = candidate.pattern.exec(relative);
      if (!match) continue;
      pathMatched = true;
      const operation = candidate.item[method.toLowerCase()];
      if (!isObject(operation)) continue;
      const pathParameters: Record<string, string> = {};
      candidate.names.forEach((name, i) => {
        pathParameters[name] = safeDecode(match[i + 1] ?? '');
      });
      const shared = (Array.isArray(candidate.item.parameters) ? candidate.item.parameters : []).map((_, i) => pointer('paths', candidate.template, 'parameters', String(i)));
      const own = (Array.isArray(operation.parameters) ? operation.parameters : []).map((_, i) => pointer('paths', candidate.template, method.toLowerCase(), 'parameters', String(i)));
      return {
        name: `${method.toUpperCase()} ${candidate.template}`,
        method: method.toLowerCase(),
        template: candidate.template,
        operation,
        parameters: [...shared, ...own],
        pathParameters,
      };
    }
    return pathMatched ? 'method not described' : null;
  }
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
