import { DeciderSpecification } from '@event-driven-io/emmett';
import { describe, expect, it } from 'vitest';
import { healthChange } from '../../src/domain/consumer-health/decide.ts';
import { decide, evolve, initialState, notificationWebhookDecider } from '../../src/domain/notification-webhooks/decide.ts';
import type { NotificationWebhookEvent } from '../../src/domain/notification-webhooks/events.ts';
import { refused } from './refused.ts';

const now = new Date('2026-01-01T00:00:00.000Z');
const metadata = { now };
const at = now.toISOString();
const accountId = 'a1';
const secret = { secretSealed: 'v1.sealed-secret', secretHint: '…AbCd' };
const url = 'https://hooks.example.com/notify';

const set: NotificationWebhookEvent = { type: 'NotificationWebhookSet', data: { accountId, url, ...secret, at } };
const removed: NotificationWebhookEvent = { type: 'NotificationWebhookRemoved', data: { accountId, at } };
const setCommand = (to: string) => ({ type: 'SetNotificationWebhook' as const, data: { accountId, url: to, newSecret: { secretSealed: 'v1.other', secretHint: '…EfGh' } }, metadata });

describe('notification webhook decider', () => {
  const given = DeciderSpecification.for(notificationWebhookDecider);

  it('sets the webhook with a new secret only when there is none; later sets change the URL, or nothing', () => {
    given([]).when({ ...setCommand(url), data: { ...setCommand(url).data, newSecret: secret } }).then([set]);
    given([set]).when(setCommand('https://hooks.example.com/v2')).then([{ type: 'NotificationWebhookUpdated', data: { accountId, url: 'https://hooks.example.com/v2', at } }]);
    given([set]).when(setCommand(url)).then([]);
    // After a removal, a set makes a new secret again.
    given([set, removed]).when(setCommand(url)).then([{ type: 'NotificationWebhookSet', data: { accountId, url, secretSealed: 'v1.other', secretHint: '…EfGh', at } }]);
  });

  it('rotates the secret, keeping the replaced one for the grace period or not at all; needs a webhook', () => {
    const rotate = { type: 'RotateNotificationSecret' as const, data: { accountId, secretSealed: 'v1.second', secretHint: '…IjKl', previousValidMs: 3_600_000 }, metadata };
    expect(decide(rotate, evolve(initialState(), set))).toEqual([
      {
        type: 'NotificationWebhookSecretRotated',
        data: { accountId, secretSealed: 'v1.second', secretHint: '…IjKl', previousSecretSealed: 'v1.sealed-secret', previousValidUntil: '2026-01-01T01:00:00.000Z', at },
      },
    ]);
    expect(decide({ ...rotate, data: { ...rotate.data, previousValidMs: 0 } }, evolve(initialState(), set))[0]!.data).toMatchObject({ previousSecretSealed: null, previousValidUntil: null });
    given([]).when(rotate).thenThrows(refused(404, 'not_found'));
    given([set, removed]).when({ type: 'RemoveNotificationWebhook', data: { accountId }, metadata }).thenThrows(refused(404, 'not_found'));
  });
});

describe('consumer health', () => {
  const ref = { consumerId: 'c1', accountId, kind: 'webhook' as const };
  it('changes when an error appears after none, and when it clears; not when it only changes', () => {
    expect(healthChange(ref, null, 'refused', now)).toEqual({ type: 'ConsumerFailed', data: { ...ref, message: 'refused', at } });
    expect(healthChange(ref, 'refused', null, now)).toEqual({ type: 'ConsumerRecovered', data: { ...ref, at } });
    expect(healthChange(ref, 'refused', 'timed out', now)).toBeNull();
    expect(healthChange(ref, null, null, now)).toBeNull();
  });
});
