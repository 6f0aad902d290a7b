import { defaultDeserialize, defaultSerialize } from '@keyv/serialize';

/**
 * Keyv's own format (`@keyv/serialize`), read and written several times faster.
 *
 * That format is JSON, except that a string starting with ':' is stored with a second ':' in front and a
 * Buffer as ':base64:…'. Its serializer builds the JSON by hand and its parser runs a reviver over every value,
 * which made them about a tenth of a turn's CPU time with many threads at once (bench/throughput.ts). Thread
 * state almost never holds such strings, so plain JSON is tried first and the library does the rare rest:
 * files and Redis keys written before this change, or by Keyv's default, read the same.
 */

/**
 * In compact JSON a string value starts right after `:`, `[`, `,` or at the very start; one whose text starts
 * with ':' shows as `":` there. (A key starting or ending with ':' also matches; the library then handles it.)
 */
const STRING_STARTING_WITH_COLON = /(?:^|[:[,{])":/;

export function serialize(data: unknown): string {
  const text = JSON.stringify(data);
  if (text === undefined || STRING_STARTING_WITH_COLON.test(text) || text.includes('"type":"Buffer"'))
    return defaultSerialize(data);
  return text;
}

/** Every escaped string in the stored text begins `"::` (a string that started with ':') or `":base64:` (a Buffer). */
export function deserialize<T>(text: string): T {
  if (text.includes('"::') || text.includes('":base64:')) return defaultDeserialize(text) as T;
  return JSON.parse(text) as T;
}
