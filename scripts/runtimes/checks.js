// A tally of named checks, in the result shape run.js reports: { passed, failed, skipped, errors }.
export function tally() {
  const result = { passed: 0, failed: 0, skipped: [], errors: [] };
  /** Counts one check; returns `ok` so a caller can stop after a failed precondition. */
  const check = (name, ok, detail = '') => {
    if (ok) result.passed++;
    else {
      result.failed++;
      result.errors.push(`${name}${detail ? `: ${detail}` : ''}`);
    }
    return ok;
  };
  return { result, check };
}
