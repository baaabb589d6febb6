// Package ipalloc hands out Services' cluster IPs and node ports, as
// kube-apiserver does, from --service-cluster-ip-range and
// --service-node-port-range.
//
// Every allocated IP or port is one etcd key (under
// <etcd-prefix>/aggkit.io/allocations/) created in a transaction that
// succeeds only when the key is absent. etcd serializes those transactions,
// so no two Services get one address, whether the creates race in one
// process or in several aggkit replicas on one etcd; and, unlike a single
// bitmap updated by compare-and-swap (kube-apiserver's RangeAllocation),
// concurrent allocations of different addresses never conflict. This is the
// shape kube-apiserver moved to with its IPAddress objects.
//
// A key is written before its Service is stored, so a crash in between
// leaks the key. Repair rebuilds the keys from the stored Services, on
// start and periodically: it recreates keys Services use but lack, frees
// keys no Service uses once they are older than any request could be, and
// gives an address to Services stored before allocation existed.
package ipalloc
