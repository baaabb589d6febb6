// Package project reads and writes aggkit.yaml, the project file that
// `aggkit init repo` creates and `aggkit create group version resource`
// extends. It records what aggkit needs to re-render the files it owns: the
// domain, the Go module, the project's name, its one API group and the
// resources served in each version.
//
// A folder without aggkit.yaml (examples/wardle, for one) is still a
// project: Load returns a Project named after the folder, and the commands
// that build and run find the API packages themselves (pkg/codegen).
package project
