/**
 * Summary of a V8 heap snapshot (`.heapsnapshot`, e.g. from bench/operator-scale/heap.ts): what
 * the live heap consists of and what keeps it alive, without DevTools.
 *
 *   node bench/operator-scale/heap-summary.ts FILE [--top 30] [--tree-min-mib 1] [--depth 14]
 *                                                  [--inside ID]... [--no-dominators]
 *                                                  [--compare BASE.heapsnapshot] [--who GROUP]...
 *
 * Prints:
 *  1. totals: nodes, edges, self size of all nodes and of those reachable from the root
 *     (the live set; V8 writes a snapshot after a full GC, so this is nearly everything);
 *  2. the `--top` groups by total self size, a group being node type + name (the constructor
 *     for objects and closures, the kind for arrays and system objects; every string is one
 *     group per string type), with count, self size, share, and the retained size of the
 *     group's members that no other member dominates (what freeing the whole group would free);
 *  3. the strings by content whose copies take the most bytes (count × size: duplicates);
 *  4. with dominators (the default): the objects with the largest retained size (self size of
 *     everything only reachable through them) with a shortest retaining path from the root,
 *     and the dominator tree from the root down to objects of at least `--tree-min-mib`;
 *  5. for the largest Map / Set / Array / Object retainers (and every `--inside ID`, a node id
 *     as printed with `@`), what their dominated subtree consists of, by group;
 *  6. for every `--who GROUP` (a group as printed, e.g. `object Timeout`): what holds its
 *     members — their shortest retaining paths from the root, the last 5 steps, tallied;
 *  7. with `--compare BASE` (e.g. the same process without jobs): the `--top` groups whose self
 *     size grew most from BASE to FILE, with counts (what the extra load costs, by group).
 *
 * The dominator tree is computed as DevTools does (Cooper–Harvey–Kennedy iteration over a
 * post-order from the root; weak edges ignored, shortcut edges only from the root), so the
 * retained sizes match the "Retained Size" column of Chrome DevTools' Memory panel.
 *
 * The file is read whole into one Buffer and parsed by hand (a snapshot of a large heap is a
 * JSON text too long for one JavaScript string); nodes and edges go into typed arrays.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

const { values: args, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    top: { type: 'string', default: '30' },
    'tree-min-mib': { type: 'string', default: '1' },
    depth: { type: 'string', default: '14' },
    inside: { type: 'string', multiple: true, default: [] },
    'no-dominators': { type: 'boolean', default: false },
    compare: { type: 'string' },
    who: { type: 'string', multiple: true, default: [] },
  },
});
if (positionals.length !== 1) {
  process.stderr.write(
    'usage: node bench/operator-scale/heap-summary.ts FILE [--top 30] [--tree-min-mib 1] [--depth 14] [--inside ID]... [--no-dominators] [--compare BASE] [--who GROUP]...\n',
  );
  process.exit(2);
}
const TOP = Number(args.top);
const TREE_MIN = Number(args['tree-min-mib']) * 2 ** 20;
const MAX_DEPTH = Number(args.depth);

const t0 = performance.now();
const note = (s: string) => process.stderr.write(`[${((performance.now() - t0) / 1000).toFixed(1)}s] ${s}\n`);
const MiB = (b: number) => (b / 2 ** 20).toFixed(2);
const out = (s = '') => process.stdout.write(`${s}\n`);

// ---------------------------------------------------------------------------------------------
// Parsing

/** A parsed snapshot: per-node and per-edge typed arrays (node ordinal = array offset / NF). */
interface Heap {
  nodeCount: number;
  edgeCount: number;
  typeOf: Uint8Array;
  nameOf: Uint32Array;
  selfOf: Float64Array;
  idOf: Float64Array;
  firstEdge: Uint32Array;
  edgeType: Uint8Array;
  edgeName: Uint32Array;
  edgeTo: Uint32Array;
  strings: string[];
  nodeTypes: string[];
  edgeTypes: string[];
}

function load(path: string): Heap {
  const buf = readFileSync(path);
  note(`read ${MiB(buf.length)} MiB`);

  function find(what: string, from = 0): number {
    const at = buf.indexOf(what, from, 'latin1');
    if (at < 0) throw new Error(`${what} not found in the snapshot`);
    return at;
  }

  /** Parses the comma-separated non-negative/negative integers of the array starting at `[`. */
  function parseNumbers(open: number, count: number): { values: Float64Array; end: number } {
    const values = new Float64Array(count);
    let n = 0;
    let cur = 0;
    let inNum = false;
    let neg = false;
    let i = open + 1;
    for (; i < buf.length; i++) {
      const c = buf[i]!;
      if (c >= 48 && c <= 57) {
        cur = cur * 10 + (c - 48);
        inNum = true;
      } else if (c === 45) {
        neg = true;
      } else {
        if (inNum) {
          if (n >= count) throw new Error('more numbers than the snapshot header announces');
          values[n++] = neg ? -cur : cur;
          cur = 0;
          inNum = false;
          neg = false;
        }
        if (c === 93) break; // ]
      }
    }
    if (n !== count) throw new Error(`expected ${count} numbers, found ${n}`);
    return { values, end: i };
  }

  /** Parses the JSON string array starting at `[`. */
  function parseStrings(open: number): string[] {
    const strings: string[] = [];
    let i = open + 1;
    for (;;) {
      while (buf[i] !== 34 && buf[i] !== 93) i++; // " or ]
      if (buf[i] === 93) break;
      const start = i;
      i++;
      let escaped = false;
      for (; ; i++) {
        const c = buf[i]!;
        if (escaped) escaped = false;
        else if (c === 92) escaped = true;
        else if (c === 34) break;
      }
      const raw = buf.toString('utf8', start, i + 1);
      let s: string;
      try {
        s = JSON.parse(raw) as string;
      } catch {
        // Lone surrogates V8 writes as \uD8xx are valid JSON; anything else: keep the raw text.
        s = raw.slice(1, -1);
      }
      strings.push(s);
      i++;
    }
    return strings;
  }

  const nodesKey = find('"nodes":');
  const header = JSON.parse(`${buf.toString('utf8', 0, nodesKey).replace(/,\s*$/, '')}}`) as {
    snapshot: {
      meta: {
        node_fields: string[];
        node_types: [string[], ...unknown[]];
        edge_fields: string[];
        edge_types: [string[], ...unknown[]];
      };
      node_count: number;
      edge_count: number;
    };
  };
  const meta = header.snapshot.meta;
  const NF = meta.node_fields.length;
  const EF = meta.edge_fields.length;
  const nodeCount = header.snapshot.node_count;
  const edgeCount = header.snapshot.edge_count;
  const nodesParsed = parseNumbers(find('[', nodesKey), nodeCount * NF);
  const nodes = nodesParsed.values;
  const edgesParsed = parseNumbers(find('[', find('"edges":', nodesParsed.end)), edgeCount * EF);
  const edgesRaw = edgesParsed.values;
  note(`parsed ${nodeCount} nodes, ${edgeCount} edges`);
  const strings = parseStrings(find('[', find('"strings":', edgesParsed.end)));
  note(`parsed ${strings.length} strings`);

  const N_TYPE = meta.node_fields.indexOf('type');
  const N_NAME = meta.node_fields.indexOf('name');
  const N_ID = meta.node_fields.indexOf('id');
  const N_SELF = meta.node_fields.indexOf('self_size');
  const N_EDGES = meta.node_fields.indexOf('edge_count');
  const E_TYPE = meta.edge_fields.indexOf('type');
  const E_NAME = meta.edge_fields.indexOf('name_or_index');
  const E_TO = meta.edge_fields.indexOf('to_node');
  // Compact per-node and per-edge arrays (node ordinal = array offset / NF).
  const typeOf = new Uint8Array(nodeCount);
  const nameOf = new Uint32Array(nodeCount);
  const selfOf = new Float64Array(nodeCount);
  const idOf = new Float64Array(nodeCount);
  const firstEdge = new Uint32Array(nodeCount + 1);
  for (let n = 0, e = 0; n < nodeCount; n++) {
    const o = n * NF;
    typeOf[n] = nodes[o + N_TYPE]!;
    nameOf[n] = nodes[o + N_NAME]!;
    selfOf[n] = nodes[o + N_SELF]!;
    idOf[n] = nodes[o + N_ID]!;
    firstEdge[n] = e;
    e += nodes[o + N_EDGES]!;
    firstEdge[n + 1] = e;
  }
  const edgeType = new Uint8Array(edgeCount);
  const edgeName = new Uint32Array(edgeCount);
  const edgeTo = new Uint32Array(edgeCount);
  for (let e = 0; e < edgeCount; e++) {
    const o = e * EF;
    edgeType[e] = edgesRaw[o + E_TYPE]!;
    edgeName[e] = edgesRaw[o + E_NAME]!;
    edgeTo[e] = edgesRaw[o + E_TO]! / NF;
  }
  return {
    nodeCount,
    edgeCount,
    typeOf,
    nameOf,
    selfOf,
    idOf,
    firstEdge,
    edgeType,
    edgeName,
    edgeTo,
    strings,
    nodeTypes: meta.node_types[0],
    edgeTypes: meta.edge_types[0],
  };
}

const MAIN: Heap = load(positionals[0]!);
const {
  nodeCount,
  edgeCount,
  typeOf,
  nameOf,
  selfOf,
  idOf,
  firstEdge,
  edgeType,
  edgeName,
  edgeTo,
  strings,
  nodeTypes,
  edgeTypes,
} = MAIN;
const ET_WEAK = edgeTypes.indexOf('weak');
const ET_SHORTCUT = edgeTypes.indexOf('shortcut');
const ET_ELEMENT = edgeTypes.indexOf('element');
const ET_HIDDEN = edgeTypes.indexOf('hidden');
const ROOT = 0;

function typeName(n: number): string {
  return nodeTypes[typeOf[n]!] ?? String(typeOf[n]);
}

const STRING_TYPES = new Set(['string', 'concatenated string', 'sliced string']);

/** The group of node `n` of `h`: type + name, strings and numbers by type only. */
function groupKey(h: Heap, n: number): string {
  const t = h.nodeTypes[h.typeOf[n]!] ?? String(h.typeOf[n]);
  if (STRING_TYPES.has(t)) return `(${t})`;
  if (t === 'number') return '(heap number)';
  if (t === 'bigint') return '(bigint)';
  let name = h.strings[h.nameOf[n]!] ?? '?';
  // Code objects and closures of anonymous functions carry long names; keep them readable.
  if (name.length > 70) name = `${name.slice(0, 67)}...`;
  return `${t} ${name}`;
}

function groupOf(n: number): string {
  return groupKey(MAIN, n);
}

function label(n: number): string {
  const t = typeName(n);
  let name = strings[nameOf[n]!] ?? '?';
  if (STRING_TYPES.has(t)) name = JSON.stringify(name.length > 40 ? `${name.slice(0, 37)}...` : name);
  else if (name.length > 60) name = `${name.slice(0, 57)}...`;
  return `${t} ${name} @${idOf[n]}`;
}

function edgeLabel(e: number): string {
  const t = edgeType[e]!;
  if (t === ET_ELEMENT || t === ET_HIDDEN) return `[${edgeName[e]}]`;
  const s = strings[edgeName[e]!] ?? '?';
  return t === edgeTypes.indexOf('context') ? `ctx.${s}` : s;
}

// ---------------------------------------------------------------------------------------------
// Reachability (essential edges) and a shortest path from the root for each node

function essential(from: number, e: number): boolean {
  const t = edgeType[e]!;
  return t !== ET_WEAK && (t !== ET_SHORTCUT || from === ROOT);
}

const parentEdge = new Int32Array(nodeCount).fill(-1);
const parentNode = new Int32Array(nodeCount).fill(-1);
const reached = new Uint8Array(nodeCount);
{
  const queue = new Uint32Array(nodeCount);
  let head = 0;
  let tail = 0;
  queue[tail++] = ROOT;
  reached[ROOT] = 1;
  while (head < tail) {
    const n = queue[head++]!;
    for (let e = firstEdge[n]!; e < firstEdge[n + 1]!; e++) {
      if (!essential(n, e)) continue;
      const to = edgeTo[e]!;
      if (reached[to]) continue;
      reached[to] = 1;
      parentEdge[to] = e;
      parentNode[to] = n;
      queue[tail++] = to;
    }
  }
}

function pathTo(n: number): string {
  const parts: string[] = [];
  let cur = n;
  while (cur !== ROOT && parentNode[cur]! >= 0 && parts.length < 40) {
    const p = parentNode[cur]!;
    const t = typeName(p);
    const pname = strings[nameOf[p]!] ?? '';
    const short = pname.length > 30 ? `${pname.slice(0, 27)}...` : pname;
    parts.push(
      `${t === 'object' || t === 'closure' ? short : `(${t} ${short})`}.${edgeLabel(parentEdge[cur]!)}`,
    );
    cur = p;
  }
  return parts.reverse().join(' → ');
}

// ---------------------------------------------------------------------------------------------
// Totals and groups by self size

let totalSelf = 0;
let reachableSelf = 0;
let reachableCount = 0;
for (let n = 0; n < nodeCount; n++) {
  totalSelf += selfOf[n]!;
  if (reached[n]) {
    reachableSelf += selfOf[n]!;
    reachableCount++;
  }
}
out(`snapshot ${positionals[0]}`);
out(
  `nodes ${nodeCount} (reachable ${reachableCount}), edges ${edgeCount}, strings ${strings.length}; ` +
    `self size total ${MiB(totalSelf)} MiB, reachable from the root ${MiB(reachableSelf)} MiB`,
);

interface Group {
  name: string;
  count: number;
  self: number;
  members: number[];
}
const groups = new Map<string, Group>();
for (let n = 0; n < nodeCount; n++) {
  if (!reached[n]) continue;
  const key = groupOf(n);
  let g = groups.get(key);
  if (!g) groups.set(key, (g = { name: key, count: 0, self: 0, members: [] }));
  g.count++;
  g.self += selfOf[n]!;
  g.members.push(n);
}
const byType = new Map<string, { count: number; self: number }>();
for (let n = 0; n < nodeCount; n++) {
  if (!reached[n]) continue;
  const t = typeName(n);
  const x = byType.get(t) ?? { count: 0, self: 0 };
  x.count++;
  x.self += selfOf[n]!;
  byType.set(t, x);
}
out();
out('self size by node type:');
for (const [t, x] of [...byType].sort((a, b) => b[1].self - a[1].self)) {
  out(`  ${t.padEnd(20)} ${String(x.count).padStart(9)}  ${MiB(x.self).padStart(9)} MiB`);
}

// ---------------------------------------------------------------------------------------------
// Dominators

let idom: Int32Array | undefined;
let retained: Float64Array | undefined;
let domChildStart: Uint32Array = new Uint32Array(0);
let domChildren: Uint32Array = new Uint32Array(0);
let tin: Int32Array = new Int32Array(0);
let tout: Int32Array = new Int32Array(0);
if (!args['no-dominators']) {
  // Post-order from the root over essential edges (iterative DFS).
  const postOrder = new Uint32Array(nodeCount); // position → node
  const postIndex = new Int32Array(nodeCount).fill(-1); // node → position
  const visited = new Uint8Array(nodeCount);
  const stackNode = new Uint32Array(nodeCount);
  const stackEdge = new Uint32Array(nodeCount);
  let sp = 0;
  let post = 0;
  stackNode[sp] = ROOT;
  stackEdge[sp] = firstEdge[ROOT]!;
  sp++;
  visited[ROOT] = 1;
  while (sp > 0) {
    const n = stackNode[sp - 1]!;
    let e = stackEdge[sp - 1]!;
    let pushed = false;
    for (; e < firstEdge[n + 1]!; e++) {
      if (!essential(n, e)) continue;
      const to = edgeTo[e]!;
      if (visited[to]) continue;
      visited[to] = 1;
      stackEdge[sp - 1] = e + 1;
      stackNode[sp] = to;
      stackEdge[sp] = firstEdge[to]!;
      sp++;
      pushed = true;
      break;
    }
    if (!pushed) {
      postIndex[n] = post;
      postOrder[post++] = n;
      sp--;
    }
  }
  const reachedCount = post;
  // Predecessors over essential edges (CSR).
  const predCount = new Uint32Array(nodeCount + 1);
  for (let n = 0; n < nodeCount; n++) {
    if (postIndex[n]! < 0) continue;
    for (let e = firstEdge[n]!; e < firstEdge[n + 1]!; e++) if (essential(n, e)) predCount[edgeTo[e]! + 1]!++;
  }
  for (let n = 0; n < nodeCount; n++) predCount[n + 1]! += predCount[n]!;
  const predStart = predCount;
  const preds = new Uint32Array(predStart[nodeCount]!);
  const fill = predStart.slice(0, nodeCount);
  for (let n = 0; n < nodeCount; n++) {
    if (postIndex[n]! < 0) continue;
    for (let e = firstEdge[n]!; e < firstEdge[n + 1]!; e++) {
      if (essential(n, e)) preds[fill[edgeTo[e]!]!++] = n;
    }
  }
  note(`post-order of ${reachedCount} nodes; ${preds.length} essential edges`);
  // Cooper–Harvey–Kennedy on post-order positions; the root has the highest position.
  const rootPos = postIndex[ROOT]!;
  const dom = new Int32Array(reachedCount).fill(-1); // by post position
  dom[rootPos] = rootPos;
  let changed = true;
  let rounds = 0;
  while (changed) {
    changed = false;
    rounds++;
    for (let pos = rootPos - 1; pos >= 0; pos--) {
      const n = postOrder[pos]!;
      let newIdom = -1;
      for (let k = predStart[n]!; k < predStart[n + 1]!; k++) {
        let p = postIndex[preds[k]!]!;
        if (p < 0 || dom[p] === -1) continue;
        if (newIdom === -1) {
          newIdom = p;
          continue;
        }
        let q = newIdom;
        while (p !== q) {
          while (p < q) p = dom[p]!;
          while (q < p) q = dom[q]!;
        }
        newIdom = p;
        if (newIdom === rootPos) break;
      }
      if (newIdom !== -1 && dom[pos] !== newIdom) {
        dom[pos] = newIdom;
        changed = true;
      }
    }
  }
  note(`dominators in ${rounds} rounds`);
  idom = new Int32Array(nodeCount).fill(-1);
  retained = new Float64Array(nodeCount);
  for (let pos = 0; pos < reachedCount; pos++) retained[postOrder[pos]!] = selfOf[postOrder[pos]!]!;
  // A dominator is an ancestor in every DFS tree, so it has a higher post-order position than
  // the nodes it dominates: walking positions upwards adds every child before its dominator.
  for (let pos = 0; pos < rootPos; pos++) {
    const n = postOrder[pos]!;
    const d = postOrder[dom[pos]!]!;
    idom[n] = d;
    retained[d]! += retained[n]!;
  }
  idom[ROOT] = ROOT;
  // Dominator-tree children (CSR) and pre-order entry/exit numbers: `a` dominates `b` iff
  // tin[a] <= tin[b] && tout[b] <= tout[a].
  const childCount = new Uint32Array(nodeCount + 1);
  for (let n = 0; n < nodeCount; n++) if (n !== ROOT && idom[n]! >= 0) childCount[idom[n]! + 1]!++;
  for (let n = 0; n < nodeCount; n++) childCount[n + 1]! += childCount[n]!;
  domChildStart = childCount;
  domChildren = new Uint32Array(childCount[nodeCount]!);
  const at = childCount.slice(0, nodeCount);
  for (let n = 0; n < nodeCount; n++) if (n !== ROOT && idom[n]! >= 0) domChildren[at[idom[n]!]!++] = n;
  tin = new Int32Array(nodeCount).fill(-1);
  tout = new Int32Array(nodeCount).fill(-1);
  const stack = new Uint32Array(nodeCount);
  const next = new Uint32Array(nodeCount);
  let top = 0;
  let clock = 0;
  stack[top++] = ROOT;
  next[ROOT] = domChildStart[ROOT]!;
  tin[ROOT] = clock++;
  while (top > 0) {
    const n = stack[top - 1]!;
    if (next[n]! < domChildStart[n + 1]!) {
      const c = domChildren[next[n]!++]!;
      tin[c] = clock++;
      next[c] = domChildStart[c]!;
      stack[top++] = c;
    } else {
      tout[n] = clock++;
      top--;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Report

out();
out(`top ${TOP} groups by self size (type name; retained = of members no other member dominates):`);
const topGroups = [...groups.values()].sort((a, b) => b.self - a.self).slice(0, TOP);
out(
  `  ${'self MiB'.padStart(9)} ${'share'.padStart(6)} ${'count'.padStart(9)} ${'retained MiB'.padStart(12)}  group`,
);
for (const g of topGroups) {
  let groupRetained: number | undefined;
  if (idom && retained) {
    // Top-level members (no other member dominates them): sweep in dominator-tree pre-order.
    const sorted = g.members.filter((n) => tin[n]! >= 0).sort((a, b) => tin[a]! - tin[b]!);
    groupRetained = 0;
    let coveredUntil = -1;
    for (const n of sorted) {
      if (tin[n]! < coveredUntil) continue;
      groupRetained += retained[n]!;
      coveredUntil = tout[n]!;
    }
  }
  out(
    `  ${MiB(g.self).padStart(9)} ${((g.self / reachableSelf) * 100).toFixed(1).padStart(5)}% ${String(g.count).padStart(9)} ${(groupRetained === undefined ? '—' : MiB(groupRetained)).padStart(12)}  ${g.name}`,
  );
}
const topSelf = topGroups.reduce((a, g) => a + g.self, 0);
out(
  `  ${MiB(topSelf).padStart(9)} ${((topSelf / reachableSelf) * 100).toFixed(1).padStart(5)}%  (these ${topGroups.length} groups; total ${MiB(reachableSelf)} MiB in ${groups.size} groups)`,
);

// Duplicated strings.
{
  const byContent = new Map<number, { count: number; bytes: number }>();
  for (let n = 0; n < nodeCount; n++) {
    if (!reached[n] || typeName(n) !== 'string') continue;
    const x = byContent.get(nameOf[n]!) ?? { count: 0, bytes: 0 };
    x.count++;
    x.bytes += selfOf[n]!;
    byContent.set(nameOf[n]!, x);
  }
  out();
  out('strings whose copies take the most bytes (count × size):');
  for (const [s, x] of [...byContent].sort((a, b) => b[1].bytes - a[1].bytes).slice(0, 25)) {
    const text = strings[s] ?? '';
    out(
      `  ${MiB(x.bytes).padStart(8)} MiB ${String(x.count).padStart(7)} × ${String(Math.round(x.bytes / x.count)).padStart(6)} B  ${JSON.stringify(text.length > 90 ? `${text.slice(0, 87)}...` : text)}`,
    );
  }
}

if (idom && retained) {
  const idomA = idom;
  const retA = retained;
  out();
  out('largest retainers (retained size; a shortest path from the root):');
  const candidates: number[] = [];
  for (let n = 1; n < nodeCount; n++) if (reached[n] && retA[n]! >= TREE_MIN) candidates.push(n);
  candidates.sort((a, b) => retA[b]! - retA[a]!);
  const skipSystem = (n: number) => {
    const t = typeName(n);
    return t === 'synthetic' || (t === 'hidden' && (strings[nameOf[n]!] ?? '').startsWith('system /'));
  };
  let shown = 0;
  for (const n of candidates) {
    if (skipSystem(n)) continue;
    out(`  ${MiB(retA[n]!).padStart(8)} MiB  ${label(n)}`);
    out(`             via ${pathTo(n)}`);
    if (++shown >= 40) break;
  }

  // Dominator tree.
  const children = new Map<number, number[]>();
  for (let n = 0; n < nodeCount; n++) {
    if (n === ROOT || idomA[n]! < 0 || retA[n]! < TREE_MIN) continue;
    const d = idomA[n]!;
    const list = children.get(d) ?? [];
    list.push(n);
    children.set(d, list);
  }
  out();
  out(
    `dominator tree (objects retaining ≥ ${MiB(TREE_MIN)} MiB; retained MiB, self bytes, edge from the dominator when direct):`,
  );
  const edgeFrom = (d: number, n: number): string | undefined => {
    for (let e = firstEdge[d]!; e < firstEdge[d + 1]!; e++) if (edgeTo[e] === n) return edgeLabel(e);
    return undefined;
  };
  const walk = (n: number, depth: number) => {
    const kids = (children.get(n) ?? []).sort((a, b) => retA[b]! - retA[a]!);
    // The root's children are the program's top-level holders: show more of them.
    const shown = n === ROOT ? 60 : 12;
    for (const k of kids.slice(0, shown)) {
      const via = edgeFrom(n, k);
      out(
        `${'  '.repeat(depth + 1)}${MiB(retA[k]!)} ${label(k)} (self ${selfOf[k]})${via !== undefined ? ` ← .${via}` : ''}`,
      );
      if (depth < MAX_DEPTH) walk(k, depth + 1);
    }
    if (kids.length > shown) out(`${'  '.repeat(depth + 1)}… ${kids.length - shown} more`);
  };
  out(`  ${MiB(retA[ROOT]!)} ${label(ROOT)}`);
  walk(ROOT, 1);

  // Objects no single owner holds (their immediate dominator is the root): shared strings,
  // property-name strings, code and objects reachable along several paths.
  {
    const shared = new Map<string, { count: number; self: number; retained: number }>();
    for (let n = 1; n < nodeCount; n++) {
      if (idomA[n] !== ROOT) continue;
      const k = groupOf(n);
      const x = shared.get(k) ?? { count: 0, self: 0, retained: 0 };
      x.count++;
      x.self += selfOf[n]!;
      x.retained += retA[n]!;
      shared.set(k, x);
    }
    out();
    out('held by no single owner (immediate dominator is the root), by group, top 15 by retained size:');
    for (const [k, x] of [...shared].sort((a, b) => b[1].retained - a[1].retained).slice(0, 15)) {
      out(
        `  ${MiB(x.retained).padStart(8)} MiB retained, ${MiB(x.self).padStart(7)} MiB self ${String(x.count).padStart(8)}  ${k}`,
      );
    }
  }

  // What the largest collections hold.
  const dominatedBy = (top: number): Map<string, { count: number; self: number }> => {
    const result = new Map<string, { count: number; self: number }>();
    const todo = [top];
    while (todo.length > 0) {
      const n = todo.pop()!;
      for (let k = domChildStart[n]!; k < domChildStart[n + 1]!; k++) todo.push(domChildren[k]!);
      if (n === top) continue;
      const key = groupOf(n);
      const x = result.get(key) ?? { count: 0, self: 0 };
      x.count++;
      x.self += selfOf[n]!;
      result.set(key, x);
    }
    return result;
  };
  const collections = candidates.filter((n) => {
    const name = strings[nameOf[n]!] ?? '';
    return typeName(n) === 'object' && /^(Map|Set|Array|Object|WeakMap)$/.test(name);
  });
  const wanted = new Set(args.inside.map(Number));
  const inspect = [
    ...collections.slice(0, 8),
    ...[...Array(nodeCount).keys()].filter((n) => wanted.has(idOf[n]!)),
  ];
  for (const c of inspect) {
    out();
    out(`inside ${label(c)}: retained ${MiB(retA[c]!)} MiB, via ${pathTo(c)}`);
    const parts = [...dominatedBy(c)].sort((a, b) => b[1].self - a[1].self).slice(0, 15);
    for (const [k, x] of parts) out(`  ${MiB(x.self).padStart(8)} MiB ${String(x.count).padStart(8)}  ${k}`);
  }
}
for (const wanted of args.who) {
  const g = groups.get(wanted);
  out();
  if (!g) {
    out(`who holds ${wanted}: no such group`);
    continue;
  }
  const tally = new Map<string, { count: number; self: number; retained: number }>();
  for (const n of g.members) {
    const steps: string[] = [];
    let cur = n;
    for (let k = 0; k < 5 && cur !== ROOT && parentNode[cur]! >= 0; k++) {
      const p = parentNode[cur]!;
      steps.push(`${groupOf(p)}.${edgeLabel(parentEdge[cur]!).replace(/^\[\d+\]$/, '[i]')}`);
      cur = p;
    }
    const key = steps.reverse().join(' → ');
    const x = tally.get(key) ?? { count: 0, self: 0, retained: 0 };
    x.count++;
    x.self += selfOf[n]!;
    x.retained += retained ? retained[n]! : 0;
    tally.set(key, x);
  }
  out(
    `who holds ${wanted} (${g.count}, ${MiB(g.self)} MiB self): last steps of a shortest path from the root`,
  );
  for (const [k, x] of [...tally].sort((a, b) => b[1].count - a[1].count).slice(0, 12)) {
    out(`  ${String(x.count).padStart(7)} × (self ${MiB(x.self)}, retained ${MiB(x.retained)} MiB)  … ${k}`);
  }
}

if (args.compare) {
  const base = load(args.compare);
  const totals = (h: Heap) => {
    const m = new Map<string, { count: number; self: number }>();
    let all = 0;
    for (let n = 0; n < h.nodeCount; n++) {
      const k = groupKey(h, n);
      const x = m.get(k) ?? { count: 0, self: 0 };
      x.count++;
      x.self += h.selfOf[n]!;
      all += h.selfOf[n]!;
      m.set(k, x);
    }
    return { m, all };
  };
  const a = totals(base);
  const b = totals(MAIN);
  out();
  out(
    `growth from ${args.compare} (${MiB(a.all)} MiB) to this snapshot (${MiB(b.all)} MiB): ${MiB(b.all - a.all)} MiB; top ${TOP} groups:`,
  );
  out(
    `  ${'Δ MiB'.padStart(8)} ${'Δ count'.padStart(9)} ${'base MiB'.padStart(9)} ${'now MiB'.padStart(9)}  group`,
  );
  const keys = new Set([...a.m.keys(), ...b.m.keys()]);
  const rows = [...keys]
    .map((k) => ({ k, a: a.m.get(k) ?? { count: 0, self: 0 }, b: b.m.get(k) ?? { count: 0, self: 0 } }))
    .sort((x, y) => y.b.self - y.a.self - (x.b.self - x.a.self))
    .slice(0, TOP);
  for (const r of rows) {
    out(
      `  ${MiB(r.b.self - r.a.self).padStart(8)} ${String(r.b.count - r.a.count).padStart(9)} ${MiB(r.a.self).padStart(9)} ${MiB(r.b.self).padStart(9)}  ${r.k}`,
    );
  }
}
note('done');
