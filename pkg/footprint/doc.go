// Package footprint drops clean, file-backed pages from this process's
// resident set: the pages of etcd's backend file, which etcd maps in whole
// when it opens it (MAP_POPULATE) although a small control plane touches
// few of them.
//
// Nothing is lost: the pages stay in the page cache and the kernel maps
// each one back, from there, the next time it is touched. Writable
// mappings are never touched, since dropping them would discard their
// contents. On systems other than Linux the functions do nothing.
//
// The executable's own pages are left alone on purpose: dropping them
// lowered idle RSS for a minute or two, until the next GC mapped them
// back, which moves a figure without using less memory.
package footprint
