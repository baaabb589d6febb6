// Package projectbuild builds an aggkit project's server binary, as
// `aggkit build executables` does: the code generators (pkg/codegen), then
// `go build` into bin/<name>, reporting each step with its duration.
package projectbuild
