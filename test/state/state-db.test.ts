import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StateDb } from '../../src/state/index.js';

const dirs: string[] = [];
function freshPath(): string {
  const dir = mkdtempSync(join(tmpdir(), 'ferry-state-'));
  dirs.push(dir);
  return join(dir, 'state.db');
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('StateDb', () => {
  it('never moves a cursor backwards', () => {
    const db = new StateDb(freshPath());
    db.advanceCursor('r', 'hub', 10);
    db.advanceCursor('r', 'hub', 4);
    expect(db.getCursor('r', 'hub')).toBe(10);
    expect(db.getCursor('r', 'other')).toBe(0);
    db.close();
  });

  it('closes runs left running by a killed process as interrupted failures', () => {
    const path = freshPath();
    const first = new StateDb(path);
    const id = first.startRun('r', 'schedule');
    first.close(); // as if the process died here
    const second = new StateDb(path);
    const [run] = second.runs('r');
    expect(run?.id).toBe(id);
    expect(run?.result).toBe('failed');
    expect(run?.errorCode).toBe('INTERRUPTED');
    second.close();
  });

  it('keeps lastTransitionTime while the status stays the same', async () => {
    const db = new StateDb(freshPath());
    db.setCondition({ kind: 'Replication', name: 'r', type: 'Ready', status: 'False', reason: 'A', message: 'a' });
    const before = db.conditions()[0]?.lastTransitionTime;
    await new Promise((r) => setTimeout(r, 5));
    db.setCondition({ kind: 'Replication', name: 'r', type: 'Ready', status: 'False', reason: 'B', message: 'b' });
    const after = db.conditions()[0];
    expect(after?.reason).toBe('B');
    expect(after?.lastTransitionTime).toBe(before);
    db.setCondition({ kind: 'Replication', name: 'r', type: 'Ready', status: 'True', reason: 'Succeeded', message: '' });
    expect(db.conditions()[0]?.lastTransitionTime).not.toBe(before);
    db.close();
  });

  it('records finished runs with bounded logs', () => {
    const db = new StateDb(freshPath());
    const id = db.startRun('r', 'manual');
    db.finishRun(id, { result: 'succeeded', items: 3, bytes: 1024, peer: 'hub', log: Array.from({ length: 500 }, (_, i) => `line ${i}`) });
    const run = db.lastRun('r', 'succeeded');
    expect(run).toMatchObject({ items: 3, bytes: 1024, peer: 'hub', trigger: 'manual' });
    expect(run?.log).toHaveLength(200);
    expect(run?.log.at(-1)).toBe('line 499');
    db.close();
  });
});
