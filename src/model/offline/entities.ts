/** Entities the offline engine finds in text, keyed by the tool-argument names that take them. */
export const ENTITIES: Record<
  string,
  {
    pattern: RegExp;
    normalize(match: string): string /** Word that stands in for it when classifying. */;
    mask: string;
  }
> = {
  order_id: { pattern: /\bORD[-_ ]?\d{3,}\b/gi, normalize: (m) => `ORD-${m.replace(/\D/g, '')}`, mask: 'order' },
  invoice_id: { pattern: /\bINV[-_ ]?\d{3,}\b/gi, normalize: (m) => `INV-${m.replace(/\D/g, '')}`, mask: 'invoice' },
  email: { pattern: /\b[\w.+-]+@[\w-]+(\.[\w-]+)+\b/g, normalize: (m) => m.toLowerCase(), mask: 'email' },
};

/** Ids and addresses say which entity is meant, not which intent; masking them keeps classifier features general. */
export function maskEntities(text: string): string {
  return Object.values(ENTITIES).reduce((masked, entity) => masked.replace(entity.pattern, ` ${entity.mask} `), text);
}
