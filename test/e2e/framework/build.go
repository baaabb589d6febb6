package framework

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
)

// Binaries are the programs a test run uses, built from this module.
type Binaries struct {
	Aggkit          string
	Kubectl         string
	SampleAPIServer string
}

var (
	buildOnce sync.Once
	built     Binaries
	buildErr  error
	binDir    string
)

// moduleRoot is the directory holding go.mod, found from this file.
func moduleRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "..")
}

// Build compiles the binaries once per test process; the Go build cache
// makes later runs cheap.
func Build() (Binaries, error) {
	buildOnce.Do(func() {
		binDir, buildErr = os.MkdirTemp("", "aggkit-e2e-bin-")
		if buildErr != nil {
			return
		}
		built = Binaries{
			Aggkit:          filepath.Join(binDir, "aggkit"),
			Kubectl:         filepath.Join(binDir, "kubectl"),
			SampleAPIServer: filepath.Join(binDir, "sample-apiserver"),
		}
		for out, pkg := range map[string]string{
			built.Aggkit:          "./cmd/aggkit",
			built.Kubectl:         "./test/tools/kubectl",
			built.SampleAPIServer: "k8s.io/sample-apiserver",
		} {
			args := []string{"build", "-o", out}
			if os.Getenv("AGGKIT_E2E_RACE") != "" && pkg == "./cmd/aggkit" {
				// Data races in the server show up as crashes in the tests.
				args = append(args, "-race")
			}
			cmd := exec.Command("go", append(args, pkg)...)
			cmd.Dir = moduleRoot()
			if output, err := cmd.CombinedOutput(); err != nil {
				buildErr = fmt.Errorf("go build %s: %v\n%s", pkg, err, output)
				return
			}
		}
	})
	return built, buildErr
}

// Cleanup removes the built binaries; call it from TestMain.
func Cleanup() {
	if binDir != "" {
		os.RemoveAll(binDir)
	}
}
