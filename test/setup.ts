// Node 20 validates relaxed SIMD only behind a V8 flag; setting it before any module compiles lets
// every test file exercise both builds (NODE_OPTIONS refuses this flag, and execArgv breaks the
// threads pool).
import v8 from 'node:v8';

v8.setFlagsFromString('--experimental-wasm-relaxed-simd');
