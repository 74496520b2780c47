// Healthy when the app answers /health on its port. A connection refused while the app is
// still starting is tried again for up to 1.5 s (the healthcheck's timeout is 3 s): the first
// check, run as the container starts, then passes as soon as the app listens instead of
// failing and waiting for the next. node:http rather than fetch: fetch loads undici on first
// use, about 100 ms of every check.
import { get } from 'node:http';

const deadline = Date.now() + 1500;
const url = `http://127.0.0.1:${process.env.PORT ?? 8000}/health`;
const attempt = () =>
  get(url, { timeout: 2000 }, (res) => process.exit((res.statusCode ?? 0) >= 200 && (res.statusCode ?? 0) < 300 ? 0 : 1))
    .on('timeout', () => process.exit(1))
    .on('error', () => (Date.now() < deadline ? setTimeout(attempt, 50) : process.exit(1)));
attempt();
