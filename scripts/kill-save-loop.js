#!/usr/bin/env node
// The crash-safety proof of save() (docs/model-files.md): a child process saves a model (weights, Adam state,
// a training state, metadata) into one directory over and over, changing the weights each time; this process
// kills it with SIGKILL at a random instant, then loads the directory. Every load must succeed and give a
// checkpoint at least as new as the last save the child reported finished (and at most one newer); the next
// child's first save must remove what the killed one left behind.
//
//   node scripts/kill-save-loop.js [--kills 200] [--seed 1] [--dir DIR]
//
// Prints one summary line and exits 1 if any directory could not be loaded. Needs the build (npm run build).
// test/net/kill-save.test.ts runs it with 20 kills in npm test.
'use strict';
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const built = path.resolve(__dirname, '..', 'dist', 'src');
const dist = path.join(built, 'node.js');

/** The child: saves forever, reporting "saved <n>" once each save has returned. */
function child(dir) {
  // Only the modules a save needs (not the whole library): a child starts in a fraction of the time.
  const { save } = require(path.join(built, 'net', 'serialize.js'));
  const { Sequential } = require(path.join(built, 'net', 'sequential.js'));
  const { Affine } = require(path.join(built, 'layers', 'affine.js'));
  const { ReLU } = require(path.join(built, 'layers', 'relu.js'));
  const { Adam } = require(path.join(built, 'optimizers', 'adam.js'));
  // 51k weights: 200 KB of weights and 400 KB of Adam state, saved in a few ms.
  const net = new Sequential([new Affine({ units: 64 }), new ReLU(), new Affine({ units: 10 })], { inputShape: [784], seed: 1 });
  const optimizer = new Adam({ lr: 1e-3 });
  // One Adam step so that its state is not all zeros.
  for (const p of net.params()) p.grad.fill(0.01);
  optimizer.step(net.params());
  const start = Number(process.argv[4] ?? 0);
  for (let n = start; ; n++) {
    const w = net.params()[0].value;
    for (let i = 0; i < w.length; i += 97) w[i] += 1e-3;
    save(net, dir, { optimizer, metadata: { n, note: 'kill-save-loop' } });
    process.stdout.write(`saved ${n}\n`);
  }
}

/** A small seeded generator (mulberry32) for the kill delays. */
function random(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Runs `kills` kill-and-load rounds in `dir`. Resolves to the figures: kills, loads that failed, checkpoints
 * older than the last reported save, leftover temporary files seen after kills (and removed by the next save).
 */
async function killSaveLoop({ kills = 200, seed = 1, dir } = {}) {
  const { load } = require(path.join(built, 'net', 'serialize.js'));
  const own = dir === undefined;
  dir = dir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'kill-save-'));
  const next = random(seed);
  const result = { kills: 0, unloadable: 0, stale: 0, leftovers: 0, killedMidSave: 0, errors: [] };
  let n = 0;
  try {
    for (let k = 0; k < kills; k++) {
      const reported = await runAndKill(dir, n, next);
      const entries = fs.readdirSync(dir);
      const temporary = entries.filter((f) => f.includes('.tmp-')).length;
      const binaries = entries.filter((f) => f.endsWith('.bin')).length;
      result.leftovers += temporary;
      // More binaries than one checkpoint has, or temporary files: the kill landed inside a save.
      if (temporary > 0 || binaries > 2) result.killedMidSave++;
      result.kills++;
      try {
        const loaded = load(dir);
        const saved = loaded.metadata.n;
        if (reported !== undefined && !(saved >= reported && saved <= reported + 1)) {
          result.stale++;
          result.errors.push(`kill ${k}: loaded checkpoint ${saved}, the child had reported ${reported} saved`);
        }
        n = saved + 1;
      } catch (err) {
        result.unloadable++;
        result.errors.push(`kill ${k}: ${err.message}`);
        fs.rmSync(dir, { recursive: true, force: true });
        fs.mkdirSync(dir);
      }
    }
  } finally {
    if (own) fs.rmSync(dir, { recursive: true, force: true });
  }
  return result;
}

/** Starts a child saving from checkpoint `n`, kills it during its third save or so; resolves to the last n it reported. */
function runAndKill(dir, n, next) {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [__filename, '--child', dir, String(n)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let last;
    let timer;
    let buffered = '';
    let stderr = '';
    const reportedAt = [];
    proc.stdout.on('data', (chunk) => {
      buffered += chunk;
      const lines = buffered.split('\n');
      buffered = lines.pop();
      for (const line of lines) {
        last = Number(line.slice('saved '.length));
        reportedAt.push(performance.now());
      }
      // After two saves, the time one takes is known: kill at a uniformly random instant of the next one.
      if (timer === undefined && reportedAt.length >= 2) {
        const period = reportedAt[reportedAt.length - 1] - reportedAt[reportedAt.length - 2];
        timer = setTimeout(() => proc.kill('SIGKILL'), next() * period);
      }
    });
    proc.stderr.on('data', (chunk) => (stderr += chunk));
    proc.on('exit', (code, signal) => {
      if (signal !== 'SIGKILL') reject(new Error(`the saving child ended by itself (code ${code}): ${stderr.trim()}`));
      else resolve(last);
    });
  });
}

if (process.argv[2] === '--child') {
  child(process.argv[3]);
} else if (require.main === module) {
  const arg = (name, fallback) => {
    const at = process.argv.indexOf(name);
    return at >= 0 ? process.argv[at + 1] : fallback;
  };
  if (!fs.existsSync(dist)) {
    console.error('kill-save-loop: dist/ is missing; run "npm run build" first');
    process.exit(1);
  }
  const kills = Number(arg('--kills', '200'));
  const started = Date.now();
  killSaveLoop({ kills, seed: Number(arg('--seed', '1')), dir: arg('--dir') }).then((r) => {
    for (const e of r.errors) console.error(e);
    console.log(
      `kill-save-loop: ${r.kills} kill -9 during saves (${r.killedMidSave} left a save half-done: ${r.leftovers} temporary files), ` +
        `${r.unloadable} unloadable directories, ${r.stale} older than the last finished save; ${((Date.now() - started) / 1000).toFixed(0)} s`,
    );
    process.exit(r.unloadable + r.stale > 0 ? 1 : 0);
  });
}

module.exports = { killSaveLoop };
