import { builder } from './builder.ts';
import './account.ts';
import './stream.ts';
import './credential.ts';
import './oauth-app.ts';
import './oauth-connect.ts';
import './provider.ts';
import './sync.ts';
import './record.ts';
import './http-consumer.ts';
import './nats-consumer.ts';
import './postgres-consumer.ts';
import './webhook-consumer.ts';
import './notification-webhook.ts';
import './mutation.ts';
import './subscriptions.ts';
import './relations.ts';

export const schema = builder.toSchema();
