/**
 * Child server processes of the test harness (etcd, kube-apiserver, MinIO).
 *
 * Each is started through `setpriv --pdeathsig KILL`, so the kernel kills it when the process
 * that started it dies — a test run aborted with SIGKILL leaves no server behind. Output goes
 * to a log file whose tail is quoted when the server fails to come up.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';

/** A running server process and where its output goes. */
export interface ServerProcess {
  name: string;
  pid: number;
  logFile: string;
  child: ChildProcess;
}

/**
 * Starts `command args` with its stdout and stderr appended to `logFile`.
 * @param env extra environment variables (merged over the current environment).
 */
export function startServer(
  name: string,
  command: string,
  args: string[],
  logFile: string,
  env: Record<string, string> = {},
): ServerProcess {
  const fd = openSync(logFile, 'a');
  const child = spawn('setpriv', ['--pdeathsig', 'KILL', '--', command, ...args], {
    stdio: ['ignore', fd, fd],
    env: { ...process.env, ...env },
  });
  closeSync(fd);
  if (child.pid === undefined) throw new Error(`could not start ${name} (${command})`);
  return { name, pid: child.pid, logFile, child };
}

/** The last `lines` lines of a server's log, for error messages. */
export function logTail(server: ServerProcess, lines = 30): string {
  try {
    return readFileSync(server.logFile, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/**
 * Polls `probe` every 200 ms until it resolves true.
 * @throws Error quoting the server's log tail when the process exits or `timeoutMs` passes.
 */
export async function waitUntilReady(
  server: ServerProcess,
  probe: () => Promise<boolean>,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (server.child.exitCode !== null || server.child.signalCode !== null) {
      throw new Error(
        `${server.name} exited (${server.child.exitCode ?? server.child.signalCode}):\n${logTail(server)}`,
      );
    }
    if (await probe().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(
    `${server.name} was not ready after ${timeoutMs} ms; log ${server.logFile}:\n${logTail(server)}`,
  );
}

/** Sends SIGTERM, then SIGKILL after `graceMs`; resolves when the process has exited. */
export async function stopServer(server: ServerProcess, graceMs = 5000): Promise<void> {
  const { child } = server;
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}
