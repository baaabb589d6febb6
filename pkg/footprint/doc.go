// Package footprint drops clean, file-backed pages from this process's
// resident set once they have done their job: the executable's code and
// read-only data that only start-up touched, and the pages of etcd's
// backend file that etcd maps in whole when it opens it (MAP_POPULATE).
//
// Nothing is lost: the pages stay in the page cache and the kernel maps
// each one back, from there, the next time it is touched. What changes is
// what the process holds mapped, its RSS. Writable mappings are never
// touched, since dropping them would discard their contents. On systems
// other than Linux the functions do nothing.
package footprint
