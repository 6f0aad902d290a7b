/**
 * Durable sets of strings, changed one member at a time in a single atomic step, so replicas adding and removing
 * members of one set at once never undo each other (as a read-modify-write of a stored list would).
 */
export interface SetStore {
  add(set: string, member: string): Promise<void>;
  remove(set: string, member: string): Promise<void>;
  members(set: string): Promise<string[]>;
}
