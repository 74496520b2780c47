#!/usr/bin/env node
// The bin entry: nothing but the call, so importing the program (tests) does no work.
import { main } from './cli/program.js';

await main();
