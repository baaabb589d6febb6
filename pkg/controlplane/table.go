package controlplane

// count is a column cell for the size of a map or list.
func count(n int) any { return int64(n) }

// joined shows a list as Kubernetes' printers do: "<none>" when empty.
func joined(items []string) string {
	if len(items) == 0 {
		return "<none>"
	}
	out := items[0]
	for _, s := range items[1:] {
		out += "," + s
	}
	return out
}

func orNone(s string) string {
	if s == "" {
		return "<none>"
	}
	return s
}
