// Package childprocess runs a server binary as a child of this process,
// as `aggkit run local` and `aggkit build docs` do: its output goes to a
// log file and an in-memory tail for error reports, /readyz is polled
// until it answers ok or the child exits, and Stop interrupts it as
// Ctrl-C would, killing it after a grace period.
package childprocess
