import { EventEmitter } from 'node:events';

export type LiveMessage =
  | { channel: 'records'; streamId: string; syncId: string; collectionId: string; maxIdx: bigint }
  | { channel: 'sync'; syncId: string };

/**
 * In-process fan-out of "something committed" signals to subscriptions, long polls and workers.
 * Listeners re-read the read models; the bus carries no data, so a missed signal costs latency,
 * never correctness.
 */
export class LiveBus {
  private readonly emitter = new EventEmitter().setMaxListeners(0);

  publish(message: LiveMessage): void {
    this.emitter.emit(message.channel, message);
  }

  on<C extends LiveMessage['channel']>(channel: C, listener: (message: Extract<LiveMessage, { channel: C }>) => void): () => void {
    this.emitter.on(channel, listener as (message: LiveMessage) => void);
    return () => this.emitter.off(channel, listener as (message: LiveMessage) => void);
  }
}
