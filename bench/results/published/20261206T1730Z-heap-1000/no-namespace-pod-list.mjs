// Experiment only (bench/operator-scale/heap.ts --node-options='--import <this file>'): what the
// operator's memory would be if claimPodNames (operator/src/streamjob/attempt-children.ts) did not
// list every pod of the namespace. A listNamespacedPod call without a label or field selector
// answers an empty PodList instead (the benchmark's namespace holds no foreign pod, so the
// outcome of claimPodNames is the same). Counts such calls on process exit to stderr.
import process from 'node:process';
import { CoreV1Api } from 'file:///work/main/node_modules/@kubernetes/client-node/dist/index.js';
const original = CoreV1Api.prototype.listNamespacedPod;
let skipped = 0;
CoreV1Api.prototype.listNamespacedPod = function (param, options) {
  if (!param?.labelSelector && !param?.fieldSelector) {
    skipped++;
    return Promise.resolve({ apiVersion: 'v1', kind: 'PodList', metadata: {}, items: [] });
  }
  return original.call(this, param, options);
};
process.on('exit', () => process.stderr.write(`no-namespace-pod-list: ${skipped} unselected pod lists skipped\n`));
