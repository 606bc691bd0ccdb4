// The conformance suite inside workerd (Cloudflare Workers' runtime). As in a deployed worker, the
// package comes through its `workerd` export condition and each .wasm is imported as a module:
// workerd refuses to compile WebAssembly from bytes at run time. GET / answers the results as JSON.
import { init } from 'ffwd';
import simd from 'ffwd/wasm/simd';
import relaxed from 'ffwd/wasm/relaxed';
import { conformanceAll } from './suite.js';

export default {
  async fetch(request) {
    if (new URL(request.url).pathname !== '/run') return new Response('GET /run runs the suite', { status: 404 });
    const runtime = 'workerd';
    let results;
    try {
      results = await conformanceAll({ runtime, init, modules: { simd, relaxed }, threads: 'no' });
      // The worker entry has no default .wasm: init() without a module must say what to do.
      let message = '';
      try {
        await init();
      } catch (error) {
        message = String(error?.message ?? error);
      }
      const ok = /import the module/.test(message);
      // What workerd itself allows, for the report: validating bytes yes, compiling them no.
      let compileRefused;
      try {
        await WebAssembly.compile(new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0]));
        compileRefused = false;
      } catch {
        compileRefused = true;
      }
      for (const r of results) {
        r.notes.compileFromBytesRefused = compileRefused;
        if (ok) r.passed++;
        else {
          r.failed++;
          r.errors.push(`init() without a module should explain the edge-worker rule, got: ${message || 'no error'}`);
        }
      }
    } catch (error) {
      results = [{ runtime, build: 'none', passed: 0, failed: 1, skipped: [], checksums: {}, errors: [`suite threw: ${error?.stack ?? error}`] }];
    }
    return Response.json({ results });
  },
};
