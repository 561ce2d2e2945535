import type { EmulatorDescriptor } from './kit/provider-emulator.ts';

/** Every emulator `npm run emulate -- <provider>` can start; add new ones here. */
export const emulators: readonly EmulatorDescriptor[] = [];
