// Command kubectl is kubectl 1.30, within the releases issue 3 says must
// work against aggkit, built from k8s.io/kubectl at that version. It is its
// own module so that the main module keeps every k8s.io/* at one version;
// TestKubectlReleases runs it when AGGKIT_KUBECTL_RELEASES names it.
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
