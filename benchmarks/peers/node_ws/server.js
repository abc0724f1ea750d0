// Node.js `ws` peer for the liveevent fan-out benchmark.
//
// This is what most teams would build a live broadcast on: a plain
// `for (const c of clients) c.send(msg)` loop, nothing tuned. It answers the
// same shapes as the Python floor peer so one load generator drives both:
//   - any path upgrades to a viewer websocket (no compression, no Origin check:
//     the load generator sends no Origin header);
//   - POST /push with a JSON body sends that body as one text frame to every
//     viewer, then answers 200;
//   - GET /healthz answers 200 so the harness knows the peer is up.
//
// Usage: node server.js PORT [HOST]
'use strict';

const http = require('http');
const { WebSocketServer } = require('ws');

const port = Number(process.argv[2] || 8766);
const host = process.argv[3] || '127.0.0.1';

// perMessageDeflate off: compression doubles fan-out time and the liveevent
// viewer socket does not compress either, so the comparison stays like for like.
const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, clientTracking: true });

wss.on('connection', (ws) => {
  // Viewers only listen here; errors (a reset from a dying load generator) must
  // not crash the peer mid-run.
  ws.on('error', () => {});
});

const server = http.createServer((req, res) => {
  if (req.method === 'POST' && req.url === '/push') {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const msg = Buffer.concat(chunks).toString('utf8');
      for (const c of wss.clients) c.send(msg);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ viewers: wss.clients.size }));
    });
    return;
  }
  if (req.url === '/healthz') {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ viewers: wss.clients.size }));
    return;
  }
  res.writeHead(404);
  res.end();
});

server.on('upgrade', (req, socket, head) => {
  wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
});

// A deep accept backlog: thousands of viewers connect within a second or two.
server.listen(port, host, 4096, () => {
  process.stdout.write(`node-ws peer listening on http://${host}:${port}\n`);
});

const stop = () => {
  for (const c of wss.clients) c.terminate();
  server.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 2000).unref();
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
