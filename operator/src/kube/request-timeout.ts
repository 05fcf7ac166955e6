/**
 * A deadline on every API request of a KubeConfig (docs/operator.md "Timeouts"): a request that
 * gets no complete answer within `timeoutMs` — an API server that accepts connections and never
 * answers, a stalled TLS handshake, a response that stops half-way — is aborted with an Error
 * saying so, and the reconcile that made it fails and is retried with backoff instead of holding
 * its worker. A signal the caller set on the request still applies (the first to fire wins).
 *
 * Watches take another path in `@kubernetes/client-node` (KubeConfig-level fetch) and are not
 * bounded: they are long-lived by design, and the informers restart them on silence
 * (kube/informer.ts).
 */
import type { KubeConfig } from '@kubernetes/client-node';

type RequestContext = Parameters<KubeConfig['applySecurityAuthentication']>[0];

/**
 * Bounds every API request authenticated by `kc` to `timeoutMs` (see the module comment).
 * Mutates and returns `kc`; compose with shared-connections.ts in either order.
 * @param timeoutMs deadline of one request, ms (> 0)
 * @throws RangeError when `timeoutMs` is not a positive number
 */
export function boundRequests(kc: KubeConfig, timeoutMs: number): KubeConfig {
  if (!(timeoutMs > 0)) throw new RangeError(`API request timeout must be > 0 ms (got ${timeoutMs})`);
  const authenticate = kc.applySecurityAuthentication.bind(kc);
  kc.applySecurityAuthentication = async (ctx: RequestContext) => {
    await authenticate(ctx);
    const deadline = AbortSignal.timeout(timeoutMs);
    const own = ctx.getSignal();
    ctx.setSignal(own ? AbortSignal.any([own, deadline]) : deadline);
  };
  return kc;
}
