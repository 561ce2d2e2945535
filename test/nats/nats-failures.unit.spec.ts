import { ErrorCode, NatsError } from 'nats';
import { describe, expect, it } from 'vitest';
import { describeFailure } from '../../src/consumers/nats/connection.ts';
import { backoffDelay } from '../../src/consumers/sinks/backoff.ts';

const where = { server: 'nats.example.com:4222', subject: 'sequin-records.s.stripe:customer.cus_1', subjectPrefix: 'sequin-records' };

describe('NATS failures as last_error', () => {
  it('tells a missing stream from a JetStream refusal that shares its 503 code', () => {
    expect(describeFailure(NatsError.errorForCode(ErrorCode.NoResponders), where)).toEqual({
      message:
        'no JetStream stream captures subject sequin-records.s.stripe:customer.cus_1 on nats.example.com:4222 (add a stream with subjects "sequin-records.>", and check that JetStream is enabled)',
      state: 'error',
      dropConnection: false,
    });
    const refused = new NatsError('maximum messages exceeded', '503');
    refused.api_error = { code: 503, err_code: 10077, description: 'maximum messages exceeded' };
    expect(describeFailure(refused, where)).toEqual({
      message: 'JetStream refused a publish on nats.example.com:4222 (subject sequin-records.s.stripe:customer.cus_1): maximum messages exceeded (error 10077)',
      state: 'error',
      dropConnection: false,
    });
  });

  it('drops the connection when the outcome of publishes in flight is unknown', () => {
    expect(describeFailure(NatsError.errorForCode(ErrorCode.Timeout), where)).toMatchObject({ state: 'error', dropConnection: true });
    expect(describeFailure(NatsError.errorForCode(ErrorCode.ConnectionClosed), where)).toEqual({
      message: 'lost the connection to NATS at nats.example.com:4222',
      state: 'disconnected',
      dropConnection: true,
    });
    expect(describeFailure(new NatsError("'Authorization Violation'", ErrorCode.AuthorizationViolation), where).message).toBe(
      "NATS authorization failed at nats.example.com:4222: Authorization Violation (check the consumer's nats credentials)",
    );
  });

  it('backs off exponentially with jitter, up to 15 s', () => {
    for (let failures = 0; failures < 30; failures++) {
      const ceiling = Math.min(15_000, 250 * 2 ** failures);
      const delay = backoffDelay(failures);
      expect(delay).toBeGreaterThanOrEqual(ceiling / 2 - 1);
      expect(delay).toBeLessThanOrEqual(ceiling);
    }
  });
});
