import { createContextKey, ROOT_CONTEXT } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import { CarriedContextManager, carriedLogContext } from '../../src/carried-context.ts';
import { addToLogContext, withLogContext } from '../../src/logger.ts';

const KEY = createContextKey('test key');
const tick = () => new Promise((resolve) => setTimeout(resolve, 1));

describe('CarriedContextManager: trace context and log ids in one store', () => {
  const manager = new CarriedContextManager();

  it('carries the trace context across awaits, and only inside `with`', async () => {
    const outer = ROOT_CONTEXT.setValue(KEY, 'outer');
    expect(manager.active()).toBe(ROOT_CONTEXT);
    const seen = await manager.with(outer, async () => {
      await tick();
      const inner = await manager.with(manager.active().setValue(KEY, 'inner'), async () => {
        await tick();
        return manager.active().getValue(KEY);
      });
      return [inner, manager.active().getValue(KEY)];
    });
    expect(seen).toEqual(['inner', 'outer']);
    expect(manager.active()).toBe(ROOT_CONTEXT);
  });

  it('keeps the log ids through `with`, ids learnt inside seen outside, and the trace context through a fresh log context', async () => {
    await withLogContext({ requestId: 'req-1' }, async () => {
      await manager.with(ROOT_CONTEXT.setValue(KEY, 'span'), async () => {
        await tick();
        expect(carriedLogContext()).toEqual({ requestId: 'req-1' });
        addToLogContext({ accountId: 'acc-1' });
        await withLogContext({ syncId: 'sync-1' }, async () => {
          await tick();
          expect(manager.active().getValue(KEY)).toBe('span');
          expect(carriedLogContext()).toEqual({ requestId: 'req-1', accountId: 'acc-1', syncId: 'sync-1' });
        }, { fresh: false });
        await withLogContext({ syncId: 'sync-2' }, async () => {
          expect(carriedLogContext()).toEqual({ syncId: 'sync-2' });
          expect(manager.active().getValue(KEY)).toBe('span');
        }, { fresh: true });
      });
      expect(carriedLogContext()).toEqual({ requestId: 'req-1', accountId: 'acc-1' });
      expect(manager.active()).toBe(ROOT_CONTEXT);
    });
    expect(carriedLogContext()).toBeUndefined();
  });

  it('binds a function to a context, and passes `this` and arguments through `with`', () => {
    const bound = manager.bind(ROOT_CONTEXT.setValue(KEY, 'bound'), (suffix: string) => `${String(manager.active().getValue(KEY))}${suffix}`);
    expect(bound('!')).toBe('bound!');
    const target = { name: 'target', read(this: { name: string }, n: number) { return `${this.name}${n}`; } };
    expect(manager.with(ROOT_CONTEXT, target.read, target, 7)).toBe('target7');
    expect(manager.bind(ROOT_CONTEXT, 42)).toBe(42);
  });
});
