// Types of clock.mjs, for the tests that import it (tsc does not read the .mjs itself).
export declare const DEMO_NOW_FORM: RegExp;
export declare const nowMs: () => number;
export declare const now: () => Date;
