import { z } from 'zod';
import { readDataFile } from './dataFile.js';

/**
 * How customers ask each shipped specialist for help, in their own registers (typos, slang, anger, templated and
 * non-native phrasing, synonyms): what the offline router and fast path learn each specialist's topics from.
 * Written fresh for this purpose, apart from the routing eval sets in bench/, which must never be copied in here.
 */
export const ROUTING_PHRASES = readDataFile(
  new URL('./routing-phrases.json', import.meta.url),
  z.object({
    orders: z.array(z.string().min(1)),
    billing: z.array(z.string().min(1)),
    technical_support: z.array(z.string().min(1)),
  }),
);
