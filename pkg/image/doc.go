// Package image makes an OCI image of an extension API server without a
// container runtime, as `aggkit build image` does.
//
// Build compiles the server's main package once per platform (CGO off, so
// the binary is static; -trimpath; the revision and build date stamped into
// k8s.io/component-base/version) and puts each binary on a base layer that
// this package writes itself: CA certificates, /etc/passwd and /etc/group
// with the non-root user 65532, and /tmp. The binary is the entrypoint; the
// image runs as 65532:65532 and carries the OCI labels source, revision and
// version plus the aggkit version that built it. Several platforms make an
// image index.
//
// The same sources give the same digest: every timestamp is the source
// date (SOURCE_DATE_EPOCH, else the commit time of HEAD, else 1970), tar
// entries are sorted with fixed owners and modes, and Go builds with
// -trimpath are reproducible.
//
// go-containerregistry does the image format and the registry protocol:
// Image.WriteLayout writes an OCI layout, Image.WriteTarball a tarball that
// docker load and podman load take, and Image.Push pushes with the
// credentials of the docker/podman config files (authn.DefaultKeychain).
package image
