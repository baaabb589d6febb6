// Package scaffold makes and extends aggkit projects: InitRepo writes a new
// Go module with a server on pkg/extension (`aggkit init repo`), and
// CreateResource adds a kind in a version (`aggkit create group version
// resource`), with its registration, generated code and test.
//
// The files come from the text/template files in templates/. A project's
// files have owners: aggkit.yaml and zz_generated.resources.go are aggkit's
// and rewritten from the project file; server_test.go is aggkit's as long as
// it is what aggkit last rendered, and the user's once edited; everything
// else is written once and then belongs to the user, so CreateResource never
// overwrites it.
package scaffold
