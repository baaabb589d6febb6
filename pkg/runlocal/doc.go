// Package runlocal runs a project's extension API server on this machine
// behind an in-process aggkit control plane, as `aggkit run local` does:
// build, start the control plane (embedded etcd), start the server binary,
// register it (Service and Endpoints on loopback, RBAC, APIServices with
// caBundle), wait until Available, and stop everything on cancel.
//
// Its building blocks live where pkg/aggtest, which does the same inside a
// Go test with the server in-process, shares them: the control plane in
// pkg/controlplane/inprocess (with Server.WriteClientKubeconfig for the
// server's service-account credentials), the serving certificate in
// deploy.LoadOrCreateServing, the child process in pkg/childprocess.
package runlocal
