import type { IncomingMessage, ServerResponse } from 'node:http';
import type { DefinitionNode } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { describeRequest, startServerSpan, SpanStatusCode } from '../tracing.ts';

/**
 * Answers an API request (REST or GraphQL over HTTP) in a server span, ended when the answer is
 * sent: `<METHOD> <route>` once the router names it (describeRequest), with the status. Off, it
 * is `handle()`.
 */
export function inRequestSpan(req: IncomingMessage, res: ServerResponse, path: string, handle: () => void): void {
  const method = req.method ?? 'GET';
  const started = startServerSpan(`${method} ${path === '/graphql' ? path : 'HTTP'}`, req.headers, { 'http.request.method': method, 'url.path': path });
  if (!started) return handle();
  const { span, run } = started;
  res.once('close', () => {
    span.setAttribute('http.response.status_code', res.statusCode);
    if (res.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
    span.end();
  });
  run(handle);
}

/** Yoga plugin: the GraphQL operation's name and type on the request's span. */
export const operationOnSpan: Plugin = {
  onExecute({ args }) {
    const operation = args.document.definitions.find((d: DefinitionNode) => d.kind === 'OperationDefinition');
    const type = operation?.kind === 'OperationDefinition' ? operation.operation : '';
    describeRequest(null, { 'graphql.operation.name': args.operationName ?? '', 'graphql.operation.type': type });
  },
};
