/**
 * What work carries along across awaits: the ids its log lines concern and, while tracing is on,
 * its OpenTelemetry context. Both ride in one AsyncLocalStorage. On Node 20 each AsyncLocalStorage
 * in use copies its store into every promise and async resource the process creates: the SDK's own
 * context manager (a second one) was about half of what tracing cost on the consume path
 * (docs/BENCHMARKS.md), so the tracer provider is given `CarriedContextManager` instead.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { ROOT_CONTEXT, type Context, type ContextManager } from '@opentelemetry/api';

/** The ids a log line concerns, carried by the work it is written from. */
export interface LogContext {
  requestId?: string;
  accountId?: string;
  syncId?: string;
  collectionId?: string;
}

interface Carried {
  /** Mutable: ids learnt while the work runs are added to it (`addToLogContext`). */
  log: LogContext;
  trace: Context;
}

const carried = new AsyncLocalStorage<Carried>();

/** The log ids of the work running now, if it carries any. */
export function carriedLogContext(): LogContext | undefined {
  return carried.getStore()?.log;
}

/** Runs `work` carrying `log` as its log ids, and the trace context it runs in. */
export function carryLogContext<T>(log: LogContext, work: () => T): T {
  return carried.run({ log, trace: carried.getStore()?.trace ?? ROOT_CONTEXT }, work);
}

/**
 * The OpenTelemetry context manager over the carried store: `with` changes the trace context and
 * keeps the log ids (the same object, so ids added inside are seen outside, as before).
 */
export class CarriedContextManager implements ContextManager {
  active(): Context {
    return carried.getStore()?.trace ?? ROOT_CONTEXT;
  }

  with<A extends unknown[], F extends (...args: A) => ReturnType<F>>(context: Context, fn: F, thisArg?: ThisParameterType<F>, ...args: A): ReturnType<F> {
    const call = thisArg == null ? fn : (fn.bind(thisArg) as F);
    return carried.run({ log: carried.getStore()?.log ?? {}, trace: context }, call, ...args);
  }

  bind<T>(context: Context, target: T): T {
    if (typeof target !== 'function') return target;
    const manager = this;
    const fn = target as unknown as (...args: unknown[]) => unknown;
    return function (this: unknown, ...args: unknown[]) {
      return manager.with(context, () => fn.apply(this, args));
    } as unknown as T;
  }

  enable(): this {
    return this;
  }

  /** The store stays: the log ids ride in it whether tracing is on or not. */
  disable(): this {
    return this;
  }
}
