/** Time comes in with every command so deciders stay pure and testable without clocks. */
export type CommandMetadata = { now: Date };
