import { EventEmitter } from 'node:events';
import Database from 'better-sqlite3';
import type { KeyvStoreAdapter, StoredData } from 'keyv';
import { SqliteBatch } from './sqliteBatch.js';

const SQLITE_BUSY_TIMEOUT_MS = 5_000;
/** Expired rows are only hidden by Keyv on read; this sweep deletes them so the file does not grow forever. */
const EXPIRED_SWEEP_INTERVAL_MS = 60 * 60 * 1000;

interface Row {
  value: string;
}

/**
 * The embedded store: a Keyv storage adapter on better-sqlite3.
 *
 * Why not `@keyv/sqlite`: it drives the asynchronous `sqlite3` binding, where every get or set is a trip
 * through libuv's thread pool (~0.2–0.4 ms here, three per turn, the largest part of our overhead in
 * bench/). better-sqlite3 answers the same statements in-process in a few microseconds, and lets us offer
 * the atomic insert-if-absent that dedupe needs. The table layout (`keyv`: key, value) is the one
 * `@keyv/sqlite` used, plus an `expires` column for the sweep, so an existing data file keeps working.
 */
export class SqliteKeyvStore extends EventEmitter implements KeyvStoreAdapter {
  readonly opts: { file: string };
  namespace?: string | undefined;
  /** Shared with the inbox and the thread locks (sqliteInbox.ts), so they live in the same file. */
  readonly db: Database.Database;
  /** Every write (and a read queued behind one) goes through this, so a tick's writes share one commit. */
  readonly batch: SqliteBatch;
  private readonly statements: {
    get: Database.Statement<[string], Row>;
    set: Database.Statement<[string, string, number | null]>;
    delete: Database.Statement<[string]>;
    claim: Database.Statement<[string, number, number], { key: string }>;
    sweep: Database.Statement<[number]>;
    sweepClaims: Database.Statement<[number]>;
  };
  private readonly sweepTimer: NodeJS.Timeout;

  constructor(file: string) {
    super();
    this.opts = { file };
    this.db = new Database(file, { timeout: SQLITE_BUSY_TIMEOUT_MS });
    // Write-ahead logging without a disk sync per commit: committed turns survive a process crash; only an
    // OS crash or power cut may lose the last few commits.
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.exec('CREATE TABLE IF NOT EXISTS keyv (key VARCHAR(255) PRIMARY KEY, value TEXT)');
    const columns = this.db.prepare<[], { name: string }>('PRAGMA table_info(keyv)').all();
    if (!columns.some((column) => column.name === 'expires'))
      this.db.exec('ALTER TABLE keyv ADD COLUMN expires INTEGER');
    this.db.exec('CREATE INDEX IF NOT EXISTS keyv_expires ON keyv (expires) WHERE expires IS NOT NULL');
    // Dedupe marks get their own narrow table: one b-tree and no value, a third cheaper per claim than a keyv row.
    this.db.exec('CREATE TABLE IF NOT EXISTS claims (key TEXT PRIMARY KEY, expires INTEGER NOT NULL) WITHOUT ROWID');
    this.statements = {
      get: this.db.prepare('SELECT value FROM keyv WHERE key = ?'),
      set: this.db.prepare(
        'INSERT INTO keyv (key, value, expires) VALUES (?, ?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value, expires = excluded.expires',
      ),
      delete: this.db.prepare('DELETE FROM keyv WHERE key = ?'),
      // Inserts, or takes over a row whose time is up; RETURNING yields a row only when this call won.
      claim: this.db.prepare(
        'INSERT INTO claims (key, expires) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET expires = excluded.expires WHERE claims.expires <= ? RETURNING key',
      ),
      sweep: this.db.prepare('DELETE FROM keyv WHERE expires IS NOT NULL AND expires <= ?'),
      sweepClaims: this.db.prepare('DELETE FROM claims WHERE expires <= ?'),
    };
    this.batch = new SqliteBatch(this.db);
    this.sweepExpired();
    this.sweepTimer = setInterval(() => this.sweepExpired(), EXPIRED_SWEEP_INTERVAL_MS);
    this.sweepTimer.unref();
  }

  get<Value>(key: string): Promise<StoredData<Value> | undefined> {
    return this.batch.read(() => this.statements.get.get(key)?.value as StoredData<Value> | undefined);
  }

  async set(key: string, value: string, ttlMs?: number): Promise<void> {
    await this.batch.run(() => this.statements.set.run(key, value, ttlMs ? Date.now() + ttlMs : null));
  }

  delete(key: string): Promise<boolean> {
    return this.batch.run(() => this.statements.delete.run(key).changes > 0);
  }

  async clear(): Promise<void> {
    this.batch.flush();
    if (this.namespace)
      this.db.prepare("DELETE FROM keyv WHERE key LIKE ? ESCAPE '\\'").run(`${escapeLike(this.namespace)}:%`);
    else this.db.exec('DELETE FROM keyv');
  }

  /** Atomically marks `key` for `ttlMs`; true only for the first caller while the mark lives. */
  claim(key: string, ttlMs: number): Promise<boolean> {
    return this.batch.run(() => this.claimNow(key, ttlMs));
  }

  /** claim() at once, for a step that runs inside the group commit already (the inbox's admit). */
  claimNow(key: string, ttlMs: number): boolean {
    const now = Date.now();
    return this.statements.claim.get(key, now + ttlMs, now) !== undefined;
  }

  async disconnect(): Promise<void> {
    clearInterval(this.sweepTimer);
    if (this.db.open) this.batch.flush();
    if (this.db.open) this.db.close();
  }

  private sweepExpired(): void {
    try {
      const now = Date.now();
      this.statements.sweep.run(now);
      this.statements.sweepClaims.run(now);
    } catch (err) {
      this.emit('error', err);
    }
  }
}

function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (char) => `\\${char}`);
}
