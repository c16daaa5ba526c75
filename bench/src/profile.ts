/** Summarises a V8 .cpuprofile (node --cpu-prof): self and inclusive time by package, top product frames. */
import { readFileSync } from 'fs';

interface CpuNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: CpuNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

export interface ProfileSummary {
  file: string;
  /** Sampled wall time of the profile, ms. */
  totalMs: number;
  /** Non-idle time, ms. */
  busyMs: number;
  /** Self time by category (package), ms, sorted. */
  selfByCategory: { category: string; ms: number }[];
  /** Inclusive time by category (time with at least one frame of the category on the stack), ms. */
  inclusiveByCategory: { category: string; ms: number }[];
  /** Product (apps/*, @vecron/*) functions by inclusive time. */
  productFrames: { frame: string; ms: number }[];
  /** Top self-time functions overall. */
  topSelf: { frame: string; ms: number }[];
}

export function categoryOf(node: CpuNode): string {
  const { url, functionName } = node.callFrame;
  if (!url) {
    if (functionName === '(garbage collector)') return 'GC';
    if (functionName === '(idle)') return '(idle)';
    if (functionName === '(program)') return '(program: native, unattributed)';
    if (functionName === '(root)') return '(root)';
    return 'native/builtin';
  }
  if (url.startsWith('node:')) {
    if (url.includes('undici')) return 'node: undici (fetch)';
    const m = /^node:(?:internal\/)?([^/]+)/.exec(url);
    return `node: ${m?.[1] ?? url}`;
  }
  const nm = url.lastIndexOf('/node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + '/node_modules/'.length).split('/');
    return rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]!;
  }
  const pkg = /\/packages\/([^/]+)\/dist\//.exec(url);
  if (pkg) return `@vecron/${pkg[1]}`;
  const app = /\/apps\/([^/]+)\/dist\//.exec(url);
  if (app) return `apps/${app[1]}`;
  return url;
}

function frameName(node: CpuNode): string {
  const { url, functionName, lineNumber } = node.callFrame;
  const file = url.replace(/^.*\/(packages|apps)\//, '$1/').replace(/^.*\/node_modules\//, '');
  return `${functionName || '(anonymous)'} ${file}:${lineNumber + 1}`;
}

/**
 * `window` keeps only the samples taken between `from` and `to` (wall-clock ms); the profile's
 * clock is mapped to wall clock through `endWall`, the instant the profiled process exited.
 */
export function summarizeProfile(file: string, window?: { from: number; to: number; endWall: number }): ProfileSummary {
  const p = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const keep: boolean[] = [];
  {
    let t = p.startTime;
    for (let i = 0; i < p.samples.length; i++) {
      t += p.timeDeltas[i] ?? 0;
      const wall = window ? window.endWall - (p.endTime - t) / 1000 : 0;
      keep.push(!window || (wall >= window.from && wall <= window.to));
    }
  }
  const byId = new Map<number, CpuNode>();
  const parent = new Map<number, number>();
  for (const n of p.nodes) {
    byId.set(n.id, n);
    for (const c of n.children ?? []) parent.set(c, n.id);
  }
  const self = new Map<number, number>();
  for (let i = 0; i < p.samples.length; i++) {
    if (!keep[i]) continue;
    const dt = p.timeDeltas[i + 1] ?? 0;
    self.set(p.samples[i]!, (self.get(p.samples[i]!) ?? 0) + dt);
  }
  const selfCat = new Map<string, number>();
  const inclCat = new Map<string, number>();
  const prodFrame = new Map<string, number>();
  const selfFrame = new Map<string, number>();
  let total = 0;
  let idle = 0;
  for (const [id, us] of self) {
    const node = byId.get(id)!;
    const cat = categoryOf(node);
    total += us;
    if (cat === '(idle)') {
      idle += us;
      continue;
    }
    selfCat.set(cat, (selfCat.get(cat) ?? 0) + us);
    const fname = frameName(node);
    selfFrame.set(fname, (selfFrame.get(fname) ?? 0) + us);
    const cats = new Set<string>();
    const frames = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const n = byId.get(cur)!;
      const c = categoryOf(n);
      cats.add(c);
      if (c.startsWith('@vecron/') || c.startsWith('apps/')) frames.add(frameName(n));
    }
    for (const c of cats) inclCat.set(c, (inclCat.get(c) ?? 0) + us);
    for (const f of frames) prodFrame.set(f, (prodFrame.get(f) ?? 0) + us);
  }
  const sorted = <K extends string>(m: Map<string, number>, key: K, limit: number): ({ ms: number } & Record<K, string>)[] =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, limit)
      .map(([k, v]) => ({ [key]: k, ms: v / 1000 }) as { ms: number } & Record<K, string>);
  return {
    file,
    totalMs: total / 1000,
    busyMs: (total - idle) / 1000,
    selfByCategory: sorted(selfCat, 'category', 16),
    inclusiveByCategory: sorted(inclCat, 'category', 24).filter((c) => c.category !== '(root)'),
    productFrames: sorted(prodFrame, 'frame', 25),
    topSelf: sorted(selfFrame, 'frame', 20),
  };
}

if (require.main === module) {
  const s = summarizeProfile(process.argv[2]!);
  process.stdout.write(JSON.stringify(s, null, 2) + '\n');
}
