// Command tiny is the smallest server image TestTwoPlatformsMakeAnIndex
// builds for two platforms: cross-compiling the standard library is
// seconds, cross-compiling a Kubernetes server is most of an hour here.
package main

import (
	"fmt"
	"runtime"
)

func main() { fmt.Printf("tiny %s/%s\n", runtime.GOOS, runtime.GOARCH) }
