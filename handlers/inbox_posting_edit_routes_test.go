package handlers_test

// postingEditorRoutes are the authorization table's lines for the posting
// editor's routes, on the posting whose id is pid.
func postingEditorRoutes(pid string) map[string]authRoute {
	return map[string]authRoute{}
}
