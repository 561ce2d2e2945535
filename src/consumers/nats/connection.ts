import { ErrorCode, jwtAuthenticator, NatsError, nkeyAuthenticator, type ConnectionOptions } from 'nats';
import { EgressRefusedError } from '../../errors.ts';
import type { NatsSecrets } from '../../domain/nats-consumers/events.ts';
import type { NatsConsumer } from '../../generated/prisma/client.ts';
import type { SinkState } from '../sinks/sink.ts';

/** A NATS consumer's `connection_state`: its sink runner's state. */
export type NatsConnectionState = SinkState;

type ServerSettings = Pick<NatsConsumer, 'id' | 'natsHost' | 'natsPort' | 'natsTls' | 'natsUser'>;

/** `host:port`, with brackets around an IPv6 address. */
export function serverAddress(consumer: Pick<NatsConsumer, 'natsHost' | 'natsPort'>): string {
  const host = consumer.natsHost.includes(':') && !consumer.natsHost.startsWith('[') ? `[${consumer.natsHost}]` : consumer.natsHost;
  return `${host}:${consumer.natsPort}`;
}

/**
 * Options for `connect`. The client's own reconnect is off: after a failure the writer drops
 * the connection and the runner opens a new one, so publishes buffered in a reconnecting client can never
 * reach the server after a newer version of the same record.
 */
export function connectionOptions(consumer: ServerSettings, secrets: NatsSecrets): ConnectionOptions {
  const options: ConnectionOptions = {
    servers: serverAddress(consumer),
    name: `syncline-nats-consumer-${consumer.id}`,
    reconnect: false,
    timeout: 10_000,
    pingInterval: 20_000,
    maxPingOut: 2,
  };
  if (consumer.natsTls) options.tls = {};
  if (secrets.token) options.token = secrets.token;
  if (consumer.natsUser) {
    options.user = consumer.natsUser;
    if (secrets.password) options.pass = secrets.password;
  }
  if (secrets.nkey_seed) {
    const seed = new TextEncoder().encode(secrets.nkey_seed);
    options.authenticator = secrets.jwt ? jwtAuthenticator(secrets.jwt, seed) : nkeyAuthenticator(seed);
  }
  return options;
}

export interface FailureDescription {
  /** For `last_error` and logs: never contains a secret. */
  message: string;
  state: Extract<NatsConnectionState, 'disconnected' | 'error'>;
  /**
   * The outcome of in-flight publishes is unknown (lost connection, timeout): the connection is
   * dropped so nothing still buffered in it is sent after a retry.
   */
  dropConnection: boolean;
}

/** The server sends protocol errors quoted (`-ERR 'Authorization Violation'`). */
const unquoted = (message: string) => message.replace(/^'(.*)'$/, '$1');

/** A readable explanation of a connect or publish failure. */
export function describeFailure(error: unknown, where: { server: string; subject?: string; subjectPrefix: string }): FailureDescription {
  if (!(error instanceof Error)) return { message: String(error), state: 'error', dropConnection: true };
  if (error instanceof EgressRefusedError) return { message: error.message, state: 'error', dropConnection: true };
  const code = error instanceof NatsError ? error.code : '';
  const apiError = error instanceof NatsError ? error.api_error : undefined;
  if (apiError) {
    // JetStream answered (and refused): nothing was stored, the connection is fine.
    const subject = where.subject ? ` (subject ${where.subject})` : '';
    return { message: `JetStream refused a publish on ${where.server}${subject}: ${apiError.description} (error ${apiError.err_code ?? apiError.code})`, state: 'error', dropConnection: false };
  }
  switch (code) {
    case ErrorCode.NoResponders:
      return {
        message: `no JetStream stream captures subject ${where.subject ?? `${where.subjectPrefix}.>`} on ${where.server} (add a stream with subjects "${where.subjectPrefix}.>", and check that JetStream is enabled)`,
        state: 'error',
        dropConnection: false,
      };
    case ErrorCode.AuthorizationViolation:
    case ErrorCode.AuthenticationExpired:
    case ErrorCode.AuthenticationTimeout:
    case ErrorCode.AccountExpired:
    case ErrorCode.BadAuthentication:
    case ErrorCode.BadCreds:
      return { message: `NATS authorization failed at ${where.server}: ${unquoted(error.message)} (check the consumer's nats credentials)`, state: 'error', dropConnection: true };
    case ErrorCode.PermissionsViolation:
      return { message: `NATS permissions violation at ${where.server}: ${unquoted(error.message)} (the user may not publish to ${where.subjectPrefix}.>)`, state: 'error', dropConnection: true };
    case ErrorCode.ConnectionRefused:
      return { message: `cannot connect to NATS at ${where.server}: connection refused`, state: 'disconnected', dropConnection: true };
    case ErrorCode.ConnectionTimeout:
      return { message: `cannot connect to NATS at ${where.server}: connection timed out`, state: 'disconnected', dropConnection: true };
    case ErrorCode.ConnectionClosed:
    case ErrorCode.Disconnect:
      return { message: `lost the connection to NATS at ${where.server}`, state: 'disconnected', dropConnection: true };
    case ErrorCode.MaxPayloadExceeded:
      return { message: `a record on subject ${where.subject ?? '?'} is larger than the max_payload of the NATS server at ${where.server}`, state: 'error', dropConnection: false };
    case ErrorCode.Timeout:
      return { message: `JetStream did not acknowledge a publish in time on ${where.server}${where.subject ? ` (subject ${where.subject})` : ''}`, state: 'error', dropConnection: true };
    default:
      return { message: `NATS at ${where.server}: ${unquoted(error.message)}`, state: 'error', dropConnection: true };
  }
}
