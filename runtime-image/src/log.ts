/**
 * JSON logs on stdout (pino), synchronous so the last line before an exit is never lost.
 * Level from SLUICE_LOG_LEVEL (default info). Every line carries the subtask and attempt.
 */
import pino, { type Logger } from 'pino';

export function createLogger(
  bindings: Record<string, unknown>,
  level = process.env.SLUICE_LOG_LEVEL || 'info',
): Logger {
  return pino(
    {
      level,
      base: bindings,
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    pino.destination({ dest: 1, sync: true }),
  );
}
