// Healthy when every port the mounted nginx servers listen on accepts a connection.
import { readFileSync, readdirSync } from 'node:fs';
import { connect } from 'node:net';

const dir = '/etc/nginx/conf.d';
const ports = new Set();
for (const name of readdirSync(dir).filter((f) => f.endsWith('.conf'))) {
  for (const match of readFileSync(`${dir}/${name}`, 'utf8').matchAll(/^\s*listen\s+(\d+)/gm)) ports.add(Number(match[1]));
}
if (ports.size === 0) process.exit(1);
await Promise.all(
  [...ports].map(
    (port) =>
      new Promise((resolve, reject) => {
        const socket = connect(port, '127.0.0.1', () => (socket.end(), resolve()));
        socket.on('error', reject);
      }),
  ),
).then(
  () => process.exit(0),
  () => process.exit(1),
);
