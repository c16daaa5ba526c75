/**
 * Summarises V8 CPU profiles (`node --cpu-prof`, or BENCH_FILE_PROFILE=DIR of the file bench):
 * the functions with the most self time, and the packages/files they belong to.
 *
 *   node bench/dist/cpu-profile-top.js PROFILE.cpuprofile [TOP=30]
 */
import { readFileSync } from 'fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

function where(url: string): string {
  const pkg = /node_modules\/(?:\.pnpm\/[^/]+\/node_modules\/)?((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1]!;
  if (url.startsWith('node:')) return url;
  const ws = /\/(packages|apps|bench)\/([^/]+)\//.exec(url);
  if (ws) return `${ws[1]}/${ws[2]}`;
  return url === '' ? '(native/gc)' : url;
}

function main(): void {
  const [file, topArg] = process.argv.slice(2);
  if (!file) throw new Error('usage: cpu-profile-top PROFILE.cpuprofile [TOP]');
  const top = Number(topArg ?? 30);
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const dt = profile.timeDeltas[i] ?? 0;
    self.set(id, (self.get(id) ?? 0) + dt);
    total += dt;
  });
  const fn = new Map<string, number>();
  const pkg = new Map<string, number>();
  for (const [id, us] of self) {
    const n = byId.get(id)!;
    const name = `${n.callFrame.functionName || '(anonymous)'}  ${where(n.callFrame.url)}${n.callFrame.url ? `:${n.callFrame.lineNumber + 1}` : ''}`;
    fn.set(name, (fn.get(name) ?? 0) + us);
    const p = where(n.callFrame.url);
    pkg.set(p, (pkg.get(p) ?? 0) + us);
  }
  const out: string[] = [`${file}: ${(total / 1e6).toFixed(1)} s sampled`, '', 'self time by package/file:'];
  for (const [p, us] of [...pkg].sort((a, b) => b[1] - a[1]).slice(0, 15)) out.push(`  ${((us / total) * 100).toFixed(1).padStart(5)} %  ${(us / 1e6).toFixed(2).padStart(7)} s  ${p}`);
  out.push('', `top ${top} functions by self time:`);
  for (const [name, us] of [...fn].sort((a, b) => b[1] - a[1]).slice(0, top)) out.push(`  ${((us / total) * 100).toFixed(1).padStart(5)} %  ${(us / 1e6).toFixed(2).padStart(7)} s  ${name}`);
  process.stdout.write(out.join('\n') + '\n');
}

main();
