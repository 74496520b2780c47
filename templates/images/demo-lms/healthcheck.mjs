// Healthy when the app answers /health on its port. node:http rather than fetch: fetch loads
// undici on first use, about 100 ms of every probe, and up waits on these probes.
import { get } from 'node:http';

get(`http://127.0.0.1:${process.env.PORT ?? 8000}/health`, { timeout: 2000 }, (res) => process.exit((res.statusCode ?? 0) >= 200 && (res.statusCode ?? 0) < 300 ? 0 : 1))
  .on('timeout', () => process.exit(1))
  .on('error', () => process.exit(1));
