package image

import (
	"archive/tar"
	"bytes"
	"encoding/pem"
	"io"
	"path"
	"sort"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"golang.org/x/crypto/x509roots/fallback/bundle"
)

// The server's user: distroless' "nonroot", which pkg/deploy's
// Deployment also runs as. Numeric in the config, so that the kubelet can
// check runAsNonRoot without reading /etc/passwd.
const (
	NonRootUID  = 65532
	nonRootHome = "/home/nonroot"
	// CACertificates is where Go's crypto/x509 (and most TLS stacks) look
	// first on Linux.
	CACertificates = "/etc/ssl/certs/ca-certificates.crt"
	// BinaryDir holds the server binary, the image's entrypoint.
	BinaryDir = "/usr/local/bin"
)

// entry is one file or directory of a layer.
type entry struct {
	name string // absolute path in the image
	dir  bool
	mode int64
	uid  int
	data []byte
}

// baseLayer is the minimal file system every image gets: the CA
// certificates, the users and groups, the home of the non-root user, and
// a world-writable /tmp.
func baseLayer(date time.Time) (v1.Layer, error) {
	passwd := "root:x:0:0:root:/root:/sbin/nologin\n" +
		"nonroot:x:65532:65532:nonroot:" + nonRootHome + ":/sbin/nologin\n"
	group := "root:x:0:\nnonroot:x:65532:\n"
	return layer(date, []entry{
		{name: "/etc/passwd", mode: 0o644, data: []byte(passwd)},
		{name: "/etc/group", mode: 0o644, data: []byte(group)},
		{name: CACertificates, mode: 0o644, data: caCertificates()},
		{name: nonRootHome, dir: true, mode: 0o700, uid: NonRootUID},
		{name: "/tmp", dir: true, mode: 0o1777},
	})
}

// binaryLayer holds the server binary.
func binaryLayer(date time.Time, name string, binary []byte) (v1.Layer, error) {
	return layer(date, []entry{{name: path.Join(BinaryDir, name), mode: 0o755, data: binary}})
}

// caCertificates are the Mozilla NSS roots that golang.org/x/crypto
// carries, as PEM: the same bytes on every machine, unlike the host's
// bundle. Roots with a constraint (a distrust-after date) are left out, as
// a PEM file cannot carry the constraint.
func caCertificates() []byte {
	var out bytes.Buffer
	for root := range bundle.Roots() {
		if root.Constraint != nil {
			continue
		}
		_ = pem.Encode(&out, &pem.Block{Type: "CERTIFICATE", Bytes: root.Certificate})
	}
	return out.Bytes()
}

// layer makes a gzip-compressed OCI layer of the entries and of their
// parent directories, sorted by name, owned by root unless an entry says
// otherwise, every time set to date.
func layer(date time.Time, entries []entry) (v1.Layer, error) {
	all := map[string]entry{}
	for _, e := range entries {
		all[e.name] = e
		for dir := path.Dir(e.name); dir != "/"; dir = path.Dir(dir) {
			if _, ok := all[dir]; !ok {
				all[dir] = entry{name: dir, dir: true, mode: 0o755}
			}
		}
	}
	names := make([]string, 0, len(all))
	for name := range all {
		names = append(names, name)
	}
	sort.Strings(names)

	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, name := range names {
		e := all[name]
		h := &tar.Header{Name: name[1:], Mode: e.mode, Uid: e.uid, Gid: e.uid, ModTime: date, Format: tar.FormatUSTAR}
		if e.dir {
			h.Typeflag, h.Name = tar.TypeDir, h.Name+"/"
		} else {
			h.Typeflag, h.Size = tar.TypeReg, int64(len(e.data))
		}
		if err := tw.WriteHeader(h); err != nil {
			return nil, err
		}
		if _, err := tw.Write(e.data); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	data := buf.Bytes()
	return tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(data)), nil
	}, tarball.WithMediaType(types.OCILayer), tarball.WithCompressedCaching)
}
