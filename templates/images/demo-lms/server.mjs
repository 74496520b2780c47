// Placeholder LMS app: answers /health and a page (the full demo comes with the demo-stack issue).
import { createServer } from 'node:http';

const port = Number(process.env.PORT ?? 8000);
createServer((req, res) => {
  if (req.url === '/health') return res.end('ok');
  res.setHeader('content-type', 'text/html; charset=utf-8');
  res.end(`<!doctype html><title>OpenEdX demo LMS</title><h1>OpenEdX demo LMS</h1><p>Catalog: ${process.env.RICHIE_DEV_CATALOG_URL ?? "?"}</p>`);
}).listen(port);
