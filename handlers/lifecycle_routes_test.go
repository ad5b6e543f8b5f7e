package handlers_test

// lifecycleRoutes are the authorization table's lines for the routes of a
// posting's life, on the posting whose id is pid.
func lifecycleRoutes(pid string) map[string]authRoute {
	return map[string]authRoute{}
}
