// Command kubectl is kubectl 1.27, the oldest release issue 3 says must work
// against aggkit, built from k8s.io/kubectl at that version. It is its own
// module so that the main module keeps every k8s.io/* at one version.
package main

import (
	"os"

	"k8s.io/component-base/cli"
	"k8s.io/kubectl/pkg/cmd"
)

func main() {
	if err := cli.RunNoErrOutput(cmd.NewDefaultKubectlCommand()); err != nil {
		os.Exit(1)
	}
}
