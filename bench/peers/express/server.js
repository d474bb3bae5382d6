// bench/receiver.sh's Express peer: what a webhook receiver written the
// common Node way costs. Express 4 + better-sqlite3: verify GitHub's
// X-Hub-Signature-256 over the raw body, one INSERT per request (autocommit,
// WAL, synchronous=NORMAL), answer 200. A reference, not a product.
//
// usage: node server.js SOCKET DATABASE SECRET_FILE
'use strict';
const crypto = require('crypto');
const fs = require('fs');
const express = require('express');
const Database = require('better-sqlite3');

const [sock, dbPath, secretFile] = process.argv.slice(2);
if (!sock || !dbPath || !secretFile) {
  console.error('usage: node server.js SOCKET DATABASE SECRET_FILE');
  process.exit(100);
}
// The secret is the file's first non-empty line, as hookq reads it.
const secret = fs.readFileSync(secretFile, 'latin1').split('\n')
  .map((l) => l.replace(/\r$/, '')).find((l) => l.length > 0);
if (!secret) {
  console.error(`${secretFile}: no secret`);
  process.exit(111);
}

const db = new Database(dbPath);
db.pragma('journal_mode = WAL');
db.pragma('synchronous = NORMAL');
db.pragma('busy_timeout = 5000');
db.exec(`CREATE TABLE IF NOT EXISTS events(
  id INTEGER PRIMARY KEY,
  source TEXT NOT NULL,
  event_id TEXT NOT NULL,
  event_type TEXT,
  received_at INTEGER NOT NULL,
  headers TEXT NOT NULL,
  body BLOB NOT NULL,
  UNIQUE(source, event_id))`);
const insert = db.prepare(`INSERT INTO events(source, event_id, event_type, received_at, headers, body)
  VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`);

// verified(body, header): true when header is "sha256=<hex>" of body's HMAC.
function verified(body, header) {
  if (typeof header !== 'string' || !header.startsWith('sha256=')) return false;
  const got = Buffer.from(header.slice(7), 'hex');
  const want = crypto.createHmac('sha256', Buffer.from(secret, 'latin1')).update(body).digest();
  return got.length === want.length && crypto.timingSafeEqual(got, want);
}

const app = express();
app.post('/hooks/:source', express.raw({ type: '*/*', limit: '1mb' }), (req, res) => {
  const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
  if (!verified(body, req.get('X-Hub-Signature-256'))) return res.status(401).send('bad signature\n');
  const id = req.get('X-GitHub-Delivery');
  if (!id) return res.status(400).send('no X-GitHub-Delivery\n');
  const type = req.get('X-GitHub-Event') || null;
  const headers = JSON.stringify({ 'X-GitHub-Delivery': id, 'X-GitHub-Event': type });
  try {
    insert.run(req.params.source, id, type, Date.now(), headers, body);
  } catch (e) {
    console.error(`insert: ${e.message}`);
    return res.status(503).set('Retry-After', '1').send('store failed\n');
  }
  res.status(200).send('stored\n');
});

try { fs.unlinkSync(sock); } catch (e) { /* not there */ }
const server = app.listen(sock, () => fs.chmodSync(sock, 0o666));
// SIGTERM: stop taking connections, close the database, exit.
process.on('SIGTERM', () => {
  server.close();
  server.closeAllConnections();
  db.close();
  process.exit(0);
});
