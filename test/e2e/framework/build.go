package framework

import (
	"crypto/sha256"
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"runtime"
	"sync"
)

// Packages the tests run as programs, all at the versions go.mod pins.
const (
	AggkitPackage          = "./cmd/aggkit"
	KubectlPackage         = "./test/tools/kubectl"
	SampleAPIServerPackage = "k8s.io/sample-apiserver"
	EtcdPackage            = "./test/tools/etcd"
)

// Binaries are the programs a test run uses, built from this module.
type Binaries struct {
	Aggkit          string
	Kubectl         string
	SampleAPIServer string
}

type buildResult struct {
	once sync.Once
	path string
	err  error
}

var (
	buildsMu sync.Mutex
	builds   = map[string]*buildResult{}
	binDir   string
	binErr   error
	binOnce  sync.Once
)

// binaryDir is a folder per checkout that outlives the test process: go
// build leaves an up-to-date binary where it is, so later runs skip the
// link, which is most of a cached build (a minute per program on a loaded
// machine). go build replaces a stale binary by rename, so a process still
// running the old one (another test package, in parallel) keeps it.
func binaryDir() (string, error) {
	root, err := filepath.Abs(moduleRoot())
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256([]byte(root))
	dir := filepath.Join(os.TempDir(), fmt.Sprintf("aggkit-test-bin-%x", sum[:6]))
	return dir, os.MkdirAll(dir, 0o755)
}

// moduleRoot is the directory holding go.mod, found from this file.
func moduleRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "..")
}

// Build compiles aggkit, kubectl and sample-apiserver once per test process;
// the Go build cache makes later runs cheap.
func Build() (Binaries, error) {
	var b Binaries
	var err error
	for _, p := range []struct {
		out *string
		pkg string
	}{{&b.Aggkit, AggkitPackage}, {&b.Kubectl, KubectlPackage}, {&b.SampleAPIServer, SampleAPIServerPackage}} {
		if *p.out, err = BuildPackage(p.pkg); err != nil {
			return b, err
		}
	}
	return b, nil
}

// BuildPackage compiles one main package of this module's build list once
// per test process and returns the binary's path, so a suite builds only
// the programs it runs.
func BuildPackage(pkg string) (string, error) {
	binOnce.Do(func() { binDir, binErr = binaryDir() })
	if binErr != nil {
		return "", binErr
	}
	buildsMu.Lock()
	r, ok := builds[pkg]
	if !ok {
		r = &buildResult{}
		builds[pkg] = r
	}
	buildsMu.Unlock()
	r.once.Do(func() {
		r.path = filepath.Join(binDir, path.Base(pkg))
		args := []string{"build"}
		if os.Getenv("AGGKIT_E2E_RACE") != "" && pkg == AggkitPackage {
			// Data races in the server show up as crashes in the tests.
			args = append(args, "-race")
			r.path += "-race"
		}
		args = append(args, "-o", r.path)
		cmd := exec.Command("go", append(args, pkg)...)
		cmd.Dir = moduleRoot()
		if output, err := cmd.CombinedOutput(); err != nil {
			r.err = fmt.Errorf("go build %s: %v\n%s", pkg, err, output)
		}
	})
	return r.path, r.err
}

var downloadOnce = sync.OnceValue(func() error {
	cmd := exec.Command("go", "mod", "download")
	cmd.Dir = moduleRoot()
	if output, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go mod download: %v\n%s", err, output)
	}
	return nil
})

// DownloadModules puts every module of aggkit's go.mod in the module cache,
// its tool dependencies (the code generators) too, which building and
// testing aggkit leave out on a fresh machine. Tests that go offline
// (GOPROXY=off) call it first.
func DownloadModules() error { return downloadOnce() }
