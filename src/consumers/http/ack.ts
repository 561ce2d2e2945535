import type { AppContext } from '../../app-context.ts';
import type { HttpConsumer } from '../../generated/prisma/client.ts';
import { ackMessages, nackMessages, type AckResult } from './delivery.ts';
import { messageGroups } from './message-groups.ts';
import { ackDone } from '../delivery-trace.ts';

export async function ack(ctx: AppContext, consumer: HttpConsumer, tokens: string[]): Promise<AckResult> {
  const startTime = Date.now();
  const result = await ackMessages(ctx.pool, consumer, validTokens(tokens));
  const acked = messageGroups(result.acked, { ackTokens: (m) => m.ackToken });
  ctx.history.record(consumer.id, { type: 'MessagesAcked', data: { consumerId: consumer.id, groups: acked, at: ctx.now().toISOString() } });
  ackDone(ctx, startTime, result.acked, { 'syncline.consumer.id': consumer.id, 'syncline.consumer.kind': 'http' });
  return { acked: result.acked, invalid: [...result.invalid, ...tokens.filter((t) => !isUuidToken(t))] };
}

export async function nack(ctx: AppContext, consumer: HttpConsumer, tokens: string[], delayMs: number): Promise<AckResult> {
  const result = await nackMessages(ctx.pool, consumer.id, validTokens(tokens), delayMs);
  ctx.history.record(consumer.id, {
    type: 'MessagesNacked',
    data: { consumerId: consumer.id, groups: messageGroups(result.acked, { ackTokens: (m) => m.ackToken }), delayMs, at: ctx.now().toISOString() },
  });
  return { acked: result.acked, invalid: [...result.invalid, ...tokens.filter((t) => !isUuidToken(t))] };
}

const isUuidToken = (token: string) => /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(token);
/** Tokens that cannot be ours are reported as invalid without reaching the database. */
const validTokens = (tokens: string[]) => tokens.filter(isUuidToken);
