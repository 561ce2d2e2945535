/** U+0000 and unpaired surrogates: valid in JSON and JavaScript strings, refused by PostgreSQL. */
export const UNSTORABLE = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Whether PostgreSQL can store (and therefore compare) this string at all. */
export const isStorableText = (value: string): boolean => !UNSTORABLE.test(value);
