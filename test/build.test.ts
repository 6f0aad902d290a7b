import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { tempDir } from './harness.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

function run(
  command: string,
  args: string[],
  options: { env?: Record<string, string>; stdin?: string } = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(options.stdin ?? '');
  });
}

describe("the Docker image's start command", () => {
  test('npm run build, then node dist/src/main.js with piped input: each reply is printed and it exits cleanly', async () => {
    const built = await run('npm', ['run', 'build']);
    assert.equal(built.code, 0, built.stderr || built.stdout);
    const data = tempDir();
    try {
      // As the image runs it (CMD ["node", "dist/src/main.js"]), with no keys: the offline engine and the demo data.
      const result = await run(process.execPath, ['dist/src/main.js'], {
        env: { DATA_DIR: data.dir },
        stdin: 'hi\nwhere is my order ORD-1001?\n',
      });
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stdout, /you> hi\n\[Triage\] Hi! I'm the support assistant/);
      assert.match(
        result.stdout,
        /you> where is my order ORD-1001\?\n {2}↪ Triage → Orders\n {2}· lookup_order \{"order_id":"ORD-1001"\}\n\[Orders\] Order ORD-1001 has shipped with UPS/,
      );
    } finally {
      data.remove();
    }
  });
});
