// Just enough of the Chrome DevTools Protocol, over --remote-debugging-pipe (fds 3 and 4, messages
// ending in NUL: what Playwright uses), to open a page, evaluate expressions and take screenshots;
// and a PNG decoder for those screenshots. No dependencies.
import { spawn } from 'node:child_process';
import { inflateSync } from 'node:zlib';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { CHROMIUM_FLAGS, removeProfile, stopGroup } from './browsers.js';
import { CACHE } from './install.js';

export async function launchCdp(bin, env, { width = 1200, height = 1000 } = {}) {
  const profile = join(CACHE, 'profiles', `chromium-cdp-${process.pid}-${Date.now()}`);
  rmSync(profile, { recursive: true, force: true });
  mkdirSync(profile, { recursive: true });
  const args = [...CHROMIUM_FLAGS, `--user-data-dir=${profile}`, '--remote-debugging-pipe', `--window-size=${width},${height}`, '--force-device-scale-factor=1', '--hide-scrollbars', 'about:blank'];
  const child = spawn(bin, args, { env, detached: true, stdio: ['ignore', 'pipe', 'pipe', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d) => (output = (output + d).slice(-10000)));
  child.stderr.on('data', (d) => (output = (output + d).slice(-10000)));
  const toBrowser = child.stdio[3];
  const fromBrowser = child.stdio[4];
  let nextId = 1;
  const pending = new Map();
  const listeners = [];
  let buffer = Buffer.alloc(0);
  let closed = false;
  fromBrowser.on('data', (chunk) => {
    buffer = Buffer.concat([buffer, chunk]);
    for (let end = buffer.indexOf(0); end >= 0; end = buffer.indexOf(0)) {
      const message = JSON.parse(buffer.subarray(0, end).toString('utf8'));
      buffer = buffer.subarray(end + 1);
      if (message.id !== undefined && pending.has(message.id)) {
        const { resolve, reject, method } = pending.get(message.id);
        pending.delete(message.id);
        if (message.error) reject(new Error(`${method}: ${message.error.message}`));
        else resolve(message.result);
      } else for (const listener of listeners) listener(message);
    }
  });
  const fail = (why) => {
    closed = true;
    for (const { reject } of pending.values()) reject(new Error(`${why}\n${output.slice(-2000)}`));
    pending.clear();
  };
  child.on('exit', () => fail('chromium exited'));
  toBrowser.on('error', () => {});

  const send = (method, params = {}, sessionId) =>
    new Promise((resolve, reject) => {
      if (closed) return reject(new Error(`chromium is not running (${method})\n${output.slice(-2000)}`));
      const id = nextId++;
      pending.set(id, { resolve, reject, method });
      toBrowser.write(JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) }) + '\0');
    });

  let exited = false;
  child.on('exit', () => (exited = true));
  const stop = () => stopGroup(child, () => exited).then(() => removeProfile(profile));

  /** Opens `url` in a new tab; returns a page handle. */
  async function open(url) {
    const { targetId } = await send('Target.createTarget', { url: 'about:blank', width, height });
    const { sessionId } = await send('Target.attachToTarget', { targetId, flatten: true });
    const page = (method, params) => send(method, params, sessionId);
    await page('Page.enable');
    await page('Runtime.enable');
    await page('Emulation.setDeviceMetricsOverride', { width, height, deviceScaleFactor: 1, mobile: false });
    const consoleLines = [];
    listeners.push((m) => {
      if (m.sessionId !== sessionId) return;
      if (m.method === 'Runtime.consoleAPICalled') consoleLines.push(m.params.args.map((a) => a.value ?? a.description).join(' '));
      if (m.method === 'Runtime.exceptionThrown') consoleLines.push(`exception: ${m.params.exceptionDetails.exception?.description ?? m.params.exceptionDetails.text}`);
    });
    await page('Page.navigate', { url });
    return {
      console: consoleLines,
      /** Evaluates an expression in the page (awaiting promises) and returns its JSON value. */
      async evaluate(expression) {
        const { result, exceptionDetails } = await page('Runtime.evaluate', { expression, awaitPromise: true, returnByValue: true });
        if (exceptionDetails) throw new Error(`page: ${exceptionDetails.exception?.description ?? exceptionDetails.text}`);
        return result.value;
      },
      /** Polls `expression` until it is truthy. */
      async waitFor(expression, timeoutMs, what = expression) {
        const deadline = Date.now() + timeoutMs;
        for (;;) {
          const value = await this.evaluate(expression).catch(() => undefined);
          if (value) return value;
          if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; console: ${consoleLines.slice(-5).join(' | ')}`);
          await new Promise((r) => setTimeout(r, 100));
        }
      },
      /** A PNG screenshot of the viewport, as a Buffer. */
      async screenshot() {
        const { data } = await page('Page.captureScreenshot', { format: 'png', fromSurface: true });
        return Buffer.from(data, 'base64');
      },
    };
  }
  // Wait until the browser answers at all.
  await send('Browser.getVersion');
  return { send, open, stop, output: () => output };
}

/** Decodes an 8-bit, non-interlaced PNG (greyscale, RGB, RGBA, grey+alpha) to { width, height, rgba }. */
export function decodePng(png) {
  if (png.readUInt32BE(0) !== 0x89504e47) throw new Error('not a PNG');
  let pos = 8;
  let width, height, depth, type, interlace;
  const idat = [];
  while (pos < png.length) {
    const length = png.readUInt32BE(pos);
    const kind = png.toString('latin1', pos + 4, pos + 8);
    const data = png.subarray(pos + 8, pos + 8 + length);
    if (kind === 'IHDR') {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      depth = data[8];
      type = data[9];
      interlace = data[12];
    } else if (kind === 'IDAT') idat.push(data);
    else if (kind === 'IEND') break;
    pos += 12 + length;
  }
  const channels = { 0: 1, 2: 3, 4: 2, 6: 4 }[type];
  if (depth !== 8 || !channels || interlace) throw new Error(`unsupported PNG: depth ${depth}, color type ${type}, interlace ${interlace}`);
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * channels;
  const pixels = Buffer.alloc(stride * height);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    const out = pixels.subarray(y * stride, (y + 1) * stride);
    const prev = y > 0 ? pixels.subarray((y - 1) * stride, y * stride) : null;
    for (let i = 0; i < stride; i++) {
      const a = i >= channels ? out[i - channels] : 0;
      const b = prev ? prev[i] : 0;
      const c = prev && i >= channels ? prev[i - channels] : 0;
      let v = line[i];
      if (filter === 1) v += a;
      else if (filter === 2) v += b;
      else if (filter === 3) v += (a + b) >> 1;
      else if (filter === 4) {
        const p = a + b - c;
        const pa = Math.abs(p - a);
        const pb = Math.abs(p - b);
        const pc = Math.abs(p - c);
        v += pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      }
      out[i] = v & 0xff;
    }
  }
  const rgba = new Uint8Array(width * height * 4);
  for (let i = 0; i < width * height; i++) {
    const s = i * channels;
    if (channels >= 3) {
      rgba[i * 4] = pixels[s];
      rgba[i * 4 + 1] = pixels[s + 1];
      rgba[i * 4 + 2] = pixels[s + 2];
      rgba[i * 4 + 3] = channels === 4 ? pixels[s + 3] : 255;
    } else {
      rgba.fill(pixels[s], i * 4, i * 4 + 3);
      rgba[i * 4 + 3] = channels === 2 ? pixels[s + 1] : 255;
    }
  }
  return { width, height, rgba };
}
