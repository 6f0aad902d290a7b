import type { z } from 'zod';

/**
 * `text` as JSON, checked against `schema` when one is given: undefined (never a throw) when it is not JSON or does
 * not fit. For data from outside (a stored inbox entry, a model's verdict, a button's value), where a bad value is an
 * answer to handle, not a crash.
 */
export function parseJson(text: string): unknown;
export function parseJson<S extends z.ZodType>(text: string, schema: S): z.output<S> | undefined;
export function parseJson(text: string, schema?: z.ZodType): unknown {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!schema) return value;
  const parsed = schema.safeParse(value);
  return parsed.success ? parsed.data : undefined;
}
