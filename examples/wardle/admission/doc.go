// Package admission holds wardle's admission rule: a Flunder may not take a
// name that any Fischer lists in disallowedFlunders.
package admission
