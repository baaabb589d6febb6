// Command wardle is the sample extension API server of group
// wardle.example.com, built on pkg/extension. It serves the same wire format
// as k8s.io/sample-apiserver.
package main

import "github.com/aggkit/aggkit/examples/wardle/server"

func main() {
	server.New().Execute()
}
