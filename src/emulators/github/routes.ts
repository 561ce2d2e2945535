/** One route of the emulator's REST API: `{name}` segments of `path` become the handler's params. */

import type { EmulatorAnswer, EmulatorRequest } from '../kit/http-emulator.ts';

export type Route = { method: string; pattern: RegExp; handle: (request: EmulatorRequest, params: string[]) => EmulatorAnswer };

const SEGMENT = '([^/]+)';

export const route = (method: string, path: string, handle: Route['handle']): Route => ({ method, pattern: new RegExp(`^${path.replace(/\{\w+\}/g, SEGMENT)}/?$`), handle });
