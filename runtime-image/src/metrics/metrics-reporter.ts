/**
 * Samples a worker's task counters every second into a MeterWindow and renders the
 * Prometheus text of `/metrics` on demand (served by control/health-server.ts).
 */
import { MeterWindow, type Snapshot } from './meter-window.ts';
import { renderPrometheus, type MetricFamily } from './prometheus-text.ts';
import type { TaskSample } from './task-metrics.ts';
import { workerMetricFamilies, type WorkerLabels } from './worker-metrics.ts';

export class MetricsReporter {
  private readonly labels: WorkerLabels;
  private readonly samples: () => TaskSample[];
  private readonly window: MeterWindow;
  private readonly extra: () => MetricFamily[];
  private timer: NodeJS.Timeout | undefined;

  /**
   * @param samples reads every task's counters (empty before the tasks exist)
   * @param windowSize samples kept for rates (one per `intervalMs`)
   * @param extra further families rendered after the task families at each scrape (the source
   *   reader's, e.g. Kafka consumer lag); their labels are their own
   */
  constructor(
    labels: WorkerLabels,
    samples: () => TaskSample[],
    windowSize = 5,
    extra: () => MetricFamily[] = () => [],
  ) {
    this.labels = labels;
    this.samples = samples;
    this.extra = extra;
    this.window = new MeterWindow(windowSize);
  }

  private snapshot(): Snapshot {
    return { atMs: performance.now(), tasks: this.samples() };
  }

  /** Starts sampling every `intervalMs` (default 1000); the timer does not keep the process alive. */
  start(intervalMs = 1000): void {
    this.window.add(this.snapshot());
    this.timer = setInterval(() => this.window.add(this.snapshot()), intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /** The exposition text now. */
  render(): string {
    return renderPrometheus([
      ...workerMetricFamilies(this.labels, this.snapshot(), this.window),
      ...this.extra(),
    ]);
  }
}
