import { builder } from './builder.ts';
import './account.ts';
import './stream.ts';
import './credential.ts';
import './oauth-app.ts';

export const schema = builder.toSchema();
