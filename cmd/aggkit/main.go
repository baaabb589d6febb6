// Command aggkit is the Kubernetes aggregation layer as one tool: `aggkit
// serve` runs the control plane; the other subcommands take an extension API
// server from an empty folder to a registered, running API.
package main

import (
	"os"

	"k8s.io/component-base/cli"
)

func main() {
	os.Exit(cli.Run(newRootCommand()))
}
