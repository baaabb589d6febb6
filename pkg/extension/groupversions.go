package extension

// Group returns the API group the server serves.
func (s *Server) Group() string { return s.group }

// Versions returns every version of the group that some resource is
// registered in, most preferred first (GA, then beta, then alpha). Tools
// that register the server behind an aggregator need one APIService per
// version; the server answers the same in its discovery.
func (s *Server) Versions() []string {
	seen := map[string]bool{}
	var vs []string
	for _, k := range s.kinds {
		for v := range k.versions {
			if !seen[v] {
				seen[v] = true
				vs = append(vs, v)
			}
		}
	}
	sortVersions(vs)
	return vs
}
