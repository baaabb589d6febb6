// Command etcd is the etcd server of the module version pinned in go.mod
// (go.etcd.io/etcd/server/v3/etcdmain), so tests can run a real etcd
// cluster without downloading a binary. Flags are etcd's own.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() { etcdmain.Main(os.Args) }
