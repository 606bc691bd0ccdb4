// The HTTP side (node:http, no framework): POST /forward with one row, as 512 little-endian float32
// (Content-Type: application/octet-stream, answered in kind) or JSON {"x": [512 numbers]} (answered
// {"y": [...]}). A bad request gets a 4xx with {"error": "..."} and never reaches the block: 400 wrong
// length or not numbers, 413 a body over the limit, 415 another content type, 404 / 405 elsewhere.
// GET /stats: batches, rows, memory.
import { createServer } from 'node:http';

const JSON_LIMIT = 64 << 10;
/** A larger body is not even drained: the connection is dropped. */
const DRAIN_LIMIT = 1 << 20;

class HttpError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

/** The body, up to `limit` bytes; a larger one is drained (so keep-alive connections stay usable) and refused. */
async function readBody(req, limit) {
  const chunks = [];
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    if (size <= limit) chunks.push(chunk);
    else if (size > DRAIN_LIMIT) req.destroy();
  }
  if (size > limit) throw new HttpError(413, `the body has ${size} bytes, more than ${limit}`);
  return Buffer.concat(chunks);
}

/** The request's row as a Float32Array of `width` floats, or an HttpError saying what is wrong. */
async function readRow(req, width) {
  const type = (req.headers['content-type'] ?? '').split(';')[0].trim();
  if (type === 'application/octet-stream') {
    const body = await readBody(req, width * 4);
    if (body.length !== width * 4) throw new HttpError(400, `expected ${width} float32 (${width * 4} bytes), got ${body.length} bytes`);
    const row = new Float32Array(width);
    new Uint8Array(row.buffer).set(body);
    return { row, json: false };
  }
  if (type === 'application/json') {
    let parsed;
    try {
      parsed = JSON.parse((await readBody(req, JSON_LIMIT)).toString('utf8'));
    } catch (error) {
      if (error instanceof HttpError) throw error;
      throw new HttpError(400, 'the body is not JSON');
    }
    const x = parsed?.x;
    if (!Array.isArray(x) || x.length !== width || !x.every((v) => typeof v === 'number')) {
      throw new HttpError(400, `expected {"x": [${width} numbers]}, got ${Array.isArray(x) ? `an array of ${x.length}` : typeof x}`);
    }
    return { row: Float32Array.from(x), json: true };
  }
  req.resume();
  throw new HttpError(415, `Content-Type must be application/octet-stream or application/json, got ${type || 'none'}`);
}

/**
 * @param {{ inFeatures: number, outFeatures: number }} block
 * @param {(row: Float32Array) => Promise<Float32Array> | Float32Array} forward one row's output
 * @param {() => object} stats what GET /stats adds
 */
export function createService(block, forward, stats) {
  return createServer(async (req, res) => {
    const send = (status, body, type = 'application/json') => {
      res.writeHead(status, { 'Content-Type': type, 'Content-Length': body.length });
      res.end(body);
    };
    const sendJson = (status, value) => send(status, Buffer.from(JSON.stringify(value)));
    try {
      const { pathname } = new URL(req.url, 'http://localhost');
      if (pathname === '/stats' && req.method === 'GET') {
        req.resume();
        const { rss, heapUsed } = process.memoryUsage();
        return sendJson(200, { ...stats(), rss, heapUsed });
      }
      if (pathname !== '/forward') throw new HttpError(404, 'POST /forward or GET /stats');
      if (req.method !== 'POST') throw new HttpError(405, '/forward takes POST');
      const { row, json } = await readRow(req, block.inFeatures);
      const y = await forward(row);
      if (json) sendJson(200, { y: Array.from(y) });
      else send(200, Buffer.from(y.buffer, y.byteOffset, y.byteLength), 'application/octet-stream');
    } catch (error) {
      if (!(error instanceof HttpError)) console.error(error);
      req.resume();
      sendJson(error instanceof HttpError ? error.status : 500, { error: error instanceof HttpError ? error.message : 'internal error' });
    }
  });
}
