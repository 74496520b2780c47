// Build step (npm run build, after tsc): precompiles every template into
// dist/templates.precompiled.js, so a render needs Handlebars' runtime only.
// The how (options, digests, the fallback) lives in src/render/engine.ts.
import { writeFileSync } from 'node:fs';
import { PRECOMPILED, precompiledModule } from '../dist/render/engine.js';

writeFileSync(PRECOMPILED, await precompiledModule());
