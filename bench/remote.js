// A peer hosted in a worker thread: a fresh JS realm with its own copy of the peer's modules (this
// is how onnxruntime-web runs with 2 threads beside its 1-thread self, its thread count being fixed
// per realm). Timing happens inside the worker, exactly as for a local peer; only the sample's
// result crosses threads. This file is both sides: remotePeer() in the parent, serve() in the worker.
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { sampler } from './timing.js';

const ROLE = 'ffwd-bench-peer';

/** Starts `modulePath`'s create(options) in a worker; resolves to a peer whose runners are samplers. */
export async function remotePeer(modulePath, options) {
  const worker = new Worker(new URL(import.meta.url), { workerData: { role: ROLE, modulePath, options } });
  let nextId = 0;
  const pending = new Map();
  worker.on('message', ({ id, result, error }) => {
    const p = pending.get(id);
    pending.delete(id);
    if (error) p.reject(new Error(`${modulePath} in a worker: ${error}`));
    else p.resolve(result);
  });
  const failAll = (err) => {
    for (const p of pending.values()) p.reject(err);
    pending.clear();
  };
  worker.on('error', failAll);
  worker.on('exit', (code) => failAll(new Error(`bench worker exited with code ${code}`)));
  const ask = (op, args = {}, transfer = []) =>
    new Promise((resolve, reject) => {
      const id = nextId++;
      pending.set(id, { resolve, reject });
      worker.postMessage({ id, op, ...args }, transfer);
    });

  const { name, description } = await ask('create');
  const remoteRunner = async (op, args) => {
    const handle = await ask(op, args);
    if (handle === null) return null;
    return {
      sample: (reps) => ask('sample', { handle, reps }),
      output: () => ask('output', { handle }),
      release: () => ask('release', { handle }),
    };
  };
  return {
    name,
    description,
    remote: true,
    activation: (id, x, slope) => remoteRunner('activation', { kernel: id, x, slope }),
    layers: (layers, x, batch) => remoteRunner('layers', { layers, x, batch }),
    close: async () => {
      worker.removeAllListeners('exit');
      await worker.terminate();
    },
  };
}

/** The worker side: runs the peer and answers the parent's requests. */
async function serve() {
  const { modulePath, options } = workerData;
  const { create } = await import(modulePath);
  let peer;
  const runners = new Map();
  let nextHandle = 0;
  const keep = (runner) => {
    if (runner === null) return null;
    const handle = nextHandle++;
    runners.set(handle, sampler(runner));
    return handle;
  };
  const ops = {
    create: async () => {
      peer = await create(options);
      return { name: peer.name, description: peer.description };
    },
    activation: async ({ kernel, x, slope }) => keep(await peer.activation(kernel, x, slope)),
    layers: async ({ layers, x, batch }) => keep(await peer.layers(layers, x, batch)),
    sample: ({ handle, reps }) => runners.get(handle).sample(reps),
    output: ({ handle }) => runners.get(handle).output(),
    release: async ({ handle }) => {
      await runners.get(handle).release();
      runners.delete(handle);
    },
  };
  parentPort.on('message', async ({ id, op, ...args }) => {
    try {
      parentPort.postMessage({ id, result: await ops[op](args) });
    } catch (error) {
      parentPort.postMessage({ id, error: String(error?.stack ?? error) });
    }
  });
}

if (!isMainThread && workerData?.role === ROLE) serve();
