/**
 * A real Kubernetes control plane for integration tests: etcd and kube-apiserver on free
 * loopback ports, started the way controller-runtime's envtest starts them (generated PKI,
 * client-certificate admin in system:masters, RBAC authorization). No kubelet and no
 * controller-manager run: tests that need pods running stand in for the kubelet.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { generatePki, type Pki } from './certs.ts';
import { toolPath } from './paths.ts';
import { freePort } from './ports.ts';
import { startServer, stopServer, waitUntilReady, type ServerProcess } from './process.ts';

/** Connection details of a running control plane (PEM contents inline, ready for a kubeconfig). */
export interface ControlPlaneInfo {
  /** https://127.0.0.1:PORT */
  server: string;
  caData: string;
  adminCertData: string;
  adminKeyData: string;
  /** Path of a kubeconfig file for kubectl with the admin credential. */
  kubeconfigPath: string;
}

/** A started control plane: its connection details and its processes. */
export interface ControlPlane {
  info: ControlPlaneInfo;
  processes: ServerProcess[];
}

function httpsOk(url: string, pki: Pki): Promise<boolean> {
  return new Promise((resolveOk) => {
    const req = request(
      url,
      {
        ca: readFileSync(pki.caCert),
        cert: readFileSync(pki.adminCert),
        key: readFileSync(pki.adminKey),
        timeout: 2000,
      },
      (res) => {
        res.resume();
        resolveOk(res.statusCode === 200);
      },
    );
    req.on('error', () => resolveOk(false));
    req.on('timeout', () => req.destroy());
    req.end();
  });
}

function kubeconfigYaml(server: string, pki: Pki): string {
  const b64 = (p: string) => readFileSync(p).toString('base64');
  return [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    `- name: sluice-test\n  cluster:\n    server: ${server}\n    certificate-authority-data: ${b64(pki.caCert)}`,
    'users:',
    `- name: admin\n  user:\n    client-certificate-data: ${b64(pki.adminCert)}\n    client-key-data: ${b64(pki.adminKey)}`,
    'contexts:',
    '- name: sluice-test\n  context:\n    cluster: sluice-test\n    user: admin',
    'current-context: sluice-test',
    '',
  ].join('\n');
}

/**
 * Starts etcd and kube-apiserver under `workDir` and waits until `/readyz` answers 200.
 * @throws Error with the failing server's log tail (e.g. a missing binary: run `make tools`).
 */
export async function startControlPlane(workDir: string): Promise<ControlPlane> {
  const pkiDir = join(workDir, 'pki');
  mkdirSync(pkiDir, { recursive: true });
  const pki = generatePki(pkiDir);
  const [etcdClient, etcdPeer, apiPort] = [await freePort(), await freePort(), await freePort()];
  const processes: ServerProcess[] = [];

  const etcd = startServer(
    'etcd',
    toolPath('etcd'),
    [
      `--data-dir=${join(workDir, 'etcd')}`,
      `--listen-client-urls=http://127.0.0.1:${etcdClient}`,
      `--advertise-client-urls=http://127.0.0.1:${etcdClient}`,
      `--listen-peer-urls=http://127.0.0.1:${etcdPeer}`,
      `--initial-advertise-peer-urls=http://127.0.0.1:${etcdPeer}`,
      `--initial-cluster=default=http://127.0.0.1:${etcdPeer}`,
      '--unsafe-no-fsync=true',
      '--log-level=warn',
    ],
    join(workDir, 'etcd.log'),
  );
  processes.push(etcd);
  try {
    await waitUntilReady(etcd, async () => (await fetch(`http://127.0.0.1:${etcdClient}/health`)).ok, 30_000);

    const apiserver = startServer(
      'kube-apiserver',
      toolPath('kube-apiserver'),
      [
        `--etcd-servers=http://127.0.0.1:${etcdClient}`,
        '--bind-address=127.0.0.1',
        '--advertise-address=127.0.0.1',
        `--secure-port=${apiPort}`,
        `--cert-dir=${join(workDir, 'apiserver-certs')}`,
        `--tls-cert-file=${pki.serverCert}`,
        `--tls-private-key-file=${pki.serverKey}`,
        `--client-ca-file=${pki.caCert}`,
        `--service-account-key-file=${pki.serviceAccountPub}`,
        `--service-account-signing-key-file=${pki.serviceAccountKey}`,
        '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
        '--service-cluster-ip-range=10.96.0.0/16',
        '--authorization-mode=RBAC',
        '--allow-privileged=false',
        '--v=1',
      ],
      join(workDir, 'kube-apiserver.log'),
    );
    processes.push(apiserver);
    const server = `https://127.0.0.1:${apiPort}`;
    await waitUntilReady(apiserver, () => httpsOk(`${server}/readyz`, pki), 90_000);

    const kubeconfigPath = join(workDir, 'kubeconfig');
    writeFileSync(kubeconfigPath, kubeconfigYaml(server, pki), { mode: 0o600 });
    return {
      info: {
        server,
        caData: readFileSync(pki.caCert, 'utf8'),
        adminCertData: readFileSync(pki.adminCert, 'utf8'),
        adminKeyData: readFileSync(pki.adminKey, 'utf8'),
        kubeconfigPath,
      },
      processes,
    };
  } catch (err) {
    await Promise.all(processes.map((p) => stopServer(p)));
    throw err;
  }
}
