// Healthy when the app answers /health on its port.
const res = await fetch(`http://127.0.0.1:${process.env.PORT ?? 8000}/health`).catch(() => undefined);
process.exit(res?.ok ? 0 : 1);
