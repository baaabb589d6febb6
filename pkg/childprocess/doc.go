// Package childprocess runs a server binary as a child of this process,
// as `aggkit run local` and `aggkit build docs` do, and as the end-to-end
// tests, test/topology and bench/startup do with aggkit serve, etcd and
// sample-apiserver: its output goes to a log file and an in-memory tail
// for error reports, Until polls a check (/readyz: Readyz, WaitReady,
// KubeconfigReadyz) until it passes and gives up with the exit reason as
// soon as the child exits, Stop interrupts it as Ctrl-C would, killing it
// after a grace period, and Kill ends it as a crash would.
package childprocess
