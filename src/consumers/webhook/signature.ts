import { createHmac } from 'node:crypto';

/**
 * Standard Webhooks signatures (https://www.standardwebhooks.com/): `v1,` and the base64
 * HMAC-SHA256 of `<msg id>.<timestamp>.<body>`, keyed by the base64 after `whsec_`. The same bytes
 * as the `standardwebhooks` package's `Webhook.sign` (test/webhooks checks both agree and that its
 * `verify` accepts ours), computed by node:crypto: the package's pure-JS HMAC cost ten times as
 * much per batch, a third of a delivery's time.
 */
export class WebhookSigner {
  private readonly key: Buffer;

  constructor(secret: string) {
    this.key = Buffer.from(secret.startsWith('whsec_') ? secret.slice('whsec_'.length) : secret, 'base64');
    if (this.key.length === 0) throw new Error('a webhook secret cannot be empty');
  }

  /** `timestamp`: unix seconds, as sent in `webhook-timestamp`. */
  sign(msgId: string, timestamp: number, body: Uint8Array): string {
    return `v1,${createHmac('sha256', this.key).update(`${msgId}.${timestamp}.`).update(body).digest('base64')}`;
  }
}
