// ffwd in a Cloudflare Worker.
//   POST /gelu   body: little-endian float32 values  →  GELU of each, same format
//   POST /ffn    body: rows of 64 little-endian float32 →  the demo feedforward block (64 → 256 → 64, GELU)
//   GET  /       what this worker serves, as JSON
// Bodies are `Content-Type: application/octet-stream`. Bad requests get a 4xx with a JSON { error }.
import { init } from 'ffwd';
import wasm from 'ffwd/wasm/simd'; // a WebAssembly.Module: Workers may not compile bytes at run time
import { D_HIDDEN, D_MODEL, MAX_BODY_BYTES, demoWeights } from './model.js';

const TYPE = 'application/octet-stream';

// One instance per isolate, made on the first request and reused.
let ready;
function instance() {
  ready ??= init({ module: wasm }).then((ffwd) => ({ ffwd, ffn: ffwd.feedForward(demoWeights()) }));
  return ready;
}

class HttpError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

const json = (value, status = 200) =>
  new Response(JSON.stringify(value, null, 2) + '\n', { status, headers: { 'Content-Type': 'application/json; charset=utf-8' } });

/** The request body as bytes, checked: octet-stream, not empty, at most MAX_BODY_BYTES, a whole number of `unit`s. */
async function floatBody(request, unit, what) {
  const type = (request.headers.get('Content-Type') ?? '').split(';')[0].trim().toLowerCase();
  if (type !== TYPE) throw new HttpError(415, `Content-Type must be ${TYPE} (little-endian float32), got ${type ? `'${type}'` : 'none'}`);
  const declared = Number(request.headers.get('Content-Length') ?? NaN);
  if (declared > MAX_BODY_BYTES) throw new HttpError(413, `body is ${declared} bytes, more than the limit of ${MAX_BODY_BYTES}`);
  const bytes = new Uint8Array(await request.arrayBuffer());
  if (bytes.length > MAX_BODY_BYTES) throw new HttpError(413, `body is ${bytes.length} bytes, more than the limit of ${MAX_BODY_BYTES}`);
  if (bytes.length === 0) throw new HttpError(400, `body is empty; expected ${what}`);
  if (bytes.length % unit !== 0) throw new HttpError(400, `body is ${bytes.length} bytes, not a multiple of ${unit}; expected ${what}`);
  return bytes;
}

/** Copies little-endian float32 bytes into a new Tensor. WASM memory is little-endian on every host. */
function tensorOf(ffwd, bytes) {
  const t = ffwd.tensor(bytes.length / 4);
  const view = t.data;
  new Uint8Array(view.buffer, view.byteOffset, bytes.length).set(bytes);
  return t;
}

/** The bytes of a Tensor, as a response body. */
function bodyOf(t) {
  const view = t.data;
  return new Response(new Uint8Array(view.buffer, view.byteOffset, view.byteLength).slice(), {
    headers: { 'Content-Type': TYPE, 'X-Float32-Count': String(t.length) },
  });
}

async function gelu(request) {
  const bytes = await floatBody(request, 4, 'little-endian float32 values');
  const { ffwd } = await instance();
  const x = tensorOf(ffwd, bytes);
  try {
    ffwd.gelu(x, x); // in place: nothing copied but the body in and out
    return bodyOf(x);
  } finally {
    x.free();
  }
}

async function ffn(request) {
  const bytes = await floatBody(request, 4 * D_MODEL, `rows of ${D_MODEL} little-endian float32 (${4 * D_MODEL} bytes each)`);
  const { ffwd, ffn } = await instance();
  const x = tensorOf(ffwd, bytes);
  const batch = x.length / D_MODEL;
  try {
    const y = ffn.forward(x, batch);
    try {
      return bodyOf(y);
    } finally {
      y.free();
    }
  } finally {
    x.free();
  }
}

const ROUTES = { '/gelu': gelu, '/ffn': ffn };

export default {
  async fetch(request) {
    const { pathname } = new URL(request.url);
    try {
      if (pathname === '/') {
        if (request.method !== 'GET') throw new HttpError(405, `${request.method} / is not allowed; use GET`);
        const { ffwd } = await instance();
        return json({
          build: ffwd.build,
          endpoints: {
            'POST /gelu': `little-endian float32 values, ${TYPE}, at most ${MAX_BODY_BYTES} bytes`,
            'POST /ffn': `rows of ${D_MODEL} float32 → rows of ${D_MODEL}; Linear(${D_MODEL}→${D_HIDDEN}) → GELU → Linear(${D_HIDDEN}→${D_MODEL})`,
          },
        });
      }
      const route = ROUTES[pathname];
      if (!route) throw new HttpError(404, `no route ${pathname}; try POST /gelu or POST /ffn`);
      if (request.method !== 'POST') throw new HttpError(405, `${request.method} ${pathname} is not allowed; use POST`);
      return await route(request);
    } catch (error) {
      if (error instanceof HttpError) return json({ error: error.message }, error.status);
      // ffwd's own argument errors are the client's fault too; anything else is ours.
      if (error instanceof RangeError) return json({ error: error.message }, 413);
      return json({ error: `internal error: ${error?.message ?? error}` }, 500);
    }
  },
};
