import { readFileSync } from 'node:fs';
import type { z } from 'zod';

/** Reads a JSON data file that ships beside the code that uses it, validated so a bad edit fails at start-up. */
export function readDataFile<S extends z.ZodType>(url: URL, schema: S): z.output<S> {
  return schema.parse(JSON.parse(readFileSync(url, 'utf8')));
}
