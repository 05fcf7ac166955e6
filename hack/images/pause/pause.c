/*
 * pause: the process that holds a pod's namespaces open.
 *
 * It waits for signals forever. SIGCHLD reaps every exited child (it is PID 1 of the pod's
 * PID namespace when the namespace is shared, so orphans are re-parented to it); SIGINT and
 * SIGTERM end it with status 0. Built static (gcc -static) so it runs in a FROM-scratch image.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static void reap(void) {
  while (waitpid(-1, NULL, WNOHANG) > 0) {
  }
}

int main(int argc, char **argv) {
  if (argc > 1 && (strcmp(argv[1], "-v") == 0 || strcmp(argv[1], "--version") == 0)) {
    puts("sluice pause " PAUSE_VERSION);
    return 0;
  }
  if (getpid() != 1) {
    fprintf(stderr, "pause: warning: not PID 1\n");
  }

  /* Block the signals we handle and take them synchronously: no handler races. */
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGCHLD);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  if (sigprocmask(SIG_BLOCK, &set, NULL) != 0) {
    perror("pause: sigprocmask");
    return 1;
  }
  for (;;) {
    int sig = 0;
    int rc = sigwait(&set, &sig);
    if (rc != 0) {
      if (rc == EINTR) continue;
      fprintf(stderr, "pause: sigwait: %s\n", strerror(rc));
      return 1;
    }
    switch (sig) {
      case SIGCHLD:
        reap();
        break;
      case SIGINT:
      case SIGTERM:
        fprintf(stderr, "pause: shutting down, got signal %d\n", sig);
        return 0;
      default:
        break;
    }
  }
}
