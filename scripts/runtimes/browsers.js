// Launching the Debian browsers headless on a URL, with a fresh profile under .cache/, and stopping them.
import { spawn } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CACHE } from './install.js';

// From runtimes.md: without the background-networking flags Chromium keeps trying hosts this machine
// cannot reach.
export const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
  '--mute-audio',
];

const FIREFOX_PREFS = {
  'browser.shell.checkDefaultBrowser': false,
  'browser.startup.homepage_override.mstone': 'ignore',
  'datareporting.policy.dataSubmissionEnabled': false,
  'datareporting.healthreport.uploadEnabled': false,
  'toolkit.telemetry.enabled': false,
  'toolkit.telemetry.reportingpolicy.firstRun': false,
  'app.update.enabled': false,
  'app.update.auto': false,
  'extensions.update.enabled': false,
  'browser.safebrowsing.malware.enabled': false,
  'browser.safebrowsing.phishing.enabled': false,
  'browser.safebrowsing.downloads.enabled': false,
  'network.captive-portal-service.enabled': false,
  'network.connectivity-service.enabled': false,
  'browser.newtabpage.enabled': false,
  'browser.aboutwelcome.enabled': false,
  'dom.max_script_run_time': 0,
};

function fresh(dir) {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** Starts a browser on `url`; returns { stop(), output() }. The process group is ours, and only ours, to kill. */
export function launch(kind, bin, url, env, extraArgs = []) {
  let args;
  const profile = fresh(join(CACHE, 'profiles', `${kind}-${process.pid}-${Date.now()}`));
  if (kind === 'chromium') {
    args = [...CHROMIUM_FLAGS, `--user-data-dir=${profile}`, ...extraArgs, url];
  } else if (kind === 'webkit') {
    // MiniBrowser needs a display: a private Xvfb server per run (-a picks a free number).
    args = ['-a', '-s', '-screen 0 1280x1024x24', bin, '--private', ...extraArgs, url];
    bin = '/usr/bin/xvfb-run';
    env = { ...env, XDG_RUNTIME_DIR: profile, WEBKIT_DISABLE_COMPOSITING_MODE: '1' };
  } else {
    writeFileSync(join(profile, 'user.js'), Object.entries(FIREFOX_PREFS).map(([k, v]) => `user_pref(${JSON.stringify(k)}, ${JSON.stringify(v)});`).join('\n') + '\n');
    args = ['--headless', '--no-remote', '--profile', profile, ...extraArgs, url];
  }
  const child = spawn(bin, args, { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const keep = (d) => (output = (output + d).slice(-20000));
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  let exited = false;
  child.on('exit', () => (exited = true));
  child.on('error', (error) => keep(`spawn error: ${error.message}`));
  return {
    child,
    output: () => output,
    stop: () => stopGroup(child, () => exited).then(() => removeProfile(profile)),
  };
}

export function removeProfile(dir) {
  try {
    rmSync(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 });
  } catch {
    // a straggler still writing: the next run's .cache/profiles cleanup is not needed for correctness
  }
}

const killGroup = (pid, signal) => {
  try {
    process.kill(-pid, signal);
    return true;
  } catch {
    return false; // the group is gone
  }
};

/** Stops a process we started with `detached: true` (its own process group, so its children too):
 * SIGTERM, then SIGKILL for anything of the group still there after the leader exits or 3 s pass. */
export function stopGroup(child, hasExited) {
  return new Promise((resolve) => {
    const finish = () => {
      killGroup(child.pid, 'SIGKILL');
      resolve();
    };
    if (hasExited()) return finish();
    child.once('exit', () => setTimeout(finish, 100));
    if (!killGroup(child.pid, 'SIGTERM')) return resolve();
    setTimeout(finish, 3000).unref();
  });
}
