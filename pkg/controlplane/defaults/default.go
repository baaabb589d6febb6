package defaults

// ptrTo returns a pointer to a copy of v.
func ptrTo[T any](v T) *T { return &v }
