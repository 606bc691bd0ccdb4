// The activation kernels the bench knows, one row each. Implementations are looked up by `id` in
// each peer's own table; `ffwd` is the method name on an ffwd instance (timed only if it exists).

export const LEAKY_SLOPE = 0.01;

export const KERNELS = [
  { id: 'gelu', ffwd: 'gelu', label: 'gelu (erf)' },
  { id: 'gelu_tanh', ffwd: 'geluTanh', label: 'gelu tanh' },
  // ffwd's throughput variant of the exact GELU: the peers run their exact GELU in its rows.
  { id: 'gelu_erf_fast', ffwd: 'geluErfFast', label: 'gelu fast', peersAs: 'gelu', refAs: 'gelu' },
  { id: 'sigmoid', ffwd: 'sigmoid', label: 'sigmoid' },
  { id: 'tanh', ffwd: 'tanh', label: 'tanh' },
  { id: 'relu', ffwd: 'relu', label: 'relu' },
  { id: 'leaky_relu', ffwd: 'leakyRelu', label: 'leaky relu', slope: LEAKY_SLOPE },
  { id: 'silu', ffwd: 'silu', label: 'silu' },
  { id: 'quick_gelu', ffwd: 'quickGelu', label: 'quick gelu' },
];

export const kernelById = (id) => KERNELS.find((k) => k.id === id);

/** What a peer implements for this kernel (ffwd's gelu_erf_fast is compared with the peers' gelu). */
export const peerIdOf = (kernel) => kernel.peersAs ?? kernel.id;

/** Largest error (|y − ref| / max(1, |ref|)) an output may have and still count as correct. */
export const DEFAULT_TOLERANCE = 2e-6;
