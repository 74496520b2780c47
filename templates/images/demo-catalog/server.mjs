// Placeholder catalog app: answers /health and a page (the full demo comes with the demo-stack issue).
import { createServer } from 'node:http';

const port = Number(process.env.PORT ?? 8000);
createServer((req, res) => {
  if (req.url === '/health') return res.end('ok');
  res.setHeader('content-type', 'text/html; charset=utf-8');
  res.end(`<!doctype html><title>Richie demo catalog</title><h1>Richie demo catalog</h1><p>LMS: ${process.env.EDX_BASE_URL ?? '?'} (${process.env.EDX_JS_BACKEND ?? '?'})</p>`);
}).listen(port);
