// Command kubectl is the real kubectl, built from k8s.io/kubectl at the
// module's pinned version, so that tests drive aggkit with the client that
// users run rather than with a stand-in.
package main

import (
	"os"

	"k8s.io/component-base/cli"
	"k8s.io/kubectl/pkg/cmd"
)

func main() {
	command := cmd.NewDefaultKubectlCommand()
	if err := cli.RunNoErrOutput(command); err != nil {
		os.Exit(1)
	}
}
